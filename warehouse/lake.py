"""The lake: the raw tables as Parquet, the dbt project built on Spark from them, and the proof
that Spark's tables equal Postgres's.

- `export_raw` writes each raw table dbt reads (the `raw` sources of models/staging) as one
  Parquet folder under `<lake>/raw/<table>/`, typed as in Postgres. A new export replaces a
  table's folder whole (written beside it, then renamed), so a build never reads half an export.
- `build_on_spark` runs `dbt build --target spark --selector lake` in a process of its own (Spark's
  JVM ends with it). Spark registers the lake's folders as external tables first (macro
  `register_lake`), so the build reads the lake and no Postgres; its tables are Parquet under
  `<lake>/spark-warehouse/`.
- `compare` reads every table that build wrote and the same model's table on Postgres, and says
  for each whether they hold the same rows.
- `publish` replaces the rows of those Postgres tables with Spark's, in one transaction, so that
  training, scoring, the delivery marts, the API and the dashboard read what Spark built.

docs/scale-out.md says what stays on Postgres and why.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from psycopg import sql

from warehouse.settings import get_settings

log = logging.getLogger(__name__)

# The raw tables the dbt project reads (its sources in schema raw; macro register_lake reads the
# same list from dbt's graph): the lake holds these, not the history tables (nothing reads them).
RAW_TABLES = (
    "food_inspections",
    "violation_counts",
    "sanitation_complaints",
    "burglaries",
    "weather_daily",
)

_ARROW_TYPES = {
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "text": pa.string(),
    "character varying": pa.string(),
    "uuid": pa.string(),
    "date": pa.date32(),
    "double precision": pa.float64(),
    "real": pa.float64(),
    "numeric": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "timestamp without time zone": pa.timestamp("us"),
}

_BLOCK_BYTES = 1 << 24  # the CSV is read (and Parquet written) 16 MB at a time

_COLUMNS_SQL = """
select column_name, data_type
from information_schema.columns
where table_schema = %s and table_name = %s
order by ordinal_position
"""


class LakeError(RuntimeError):
    """The lake cannot do what was asked: what is missing, and the command that provides it."""


@dataclass(frozen=True)
class Exported:
    table: str
    rows: int
    path: Path
    seconds: float


def lake_dir() -> Path:
    """The lake's folder (settings: CANVASS_LAKE_DIR, else .lake in the project); the Spark
    profile reads the same variable, which build_on_spark always sets."""
    return get_settings().lake_dir.resolve()


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    rows = conn.execute(_COLUMNS_SQL, (schema, table)).fetchall()
    if not rows:
        hint = (
            "run `canvass ingest` first" if schema == "raw" else "build it with `canvass transform`"
        )
        raise LookupError(f"{schema}.{table} does not exist: {hint}")
    unknown = [f"{name} ({kind})" for name, kind in rows if kind not in _ARROW_TYPES]
    if unknown:
        raise TypeError(f"{schema}.{table}: no Parquet type for {', '.join(unknown)}")
    return rows


def _copy_csv(
    conn: psycopg.Connection, schema: str, table: str, path: Path
) -> list[tuple[str, str]]:
    """Write a whole table to `path` through COPY (CSV: the fastest way out of Postgres), on disk
    rather than in memory; return its columns."""
    columns = _columns(conn, schema, table)
    selected = [
        # UTC wall-clock text that Arrow parses; the schema puts the zone back.
        sql.SQL("{} at time zone 'UTC' as {}").format(sql.Identifier(name), sql.Identifier(name))
        if kind == "timestamp with time zone"
        else sql.Identifier(name)
        for name, kind in columns
    ]
    query = sql.SQL("copy (select {} from {}.{}) to stdout (format csv, header)").format(
        sql.SQL(", ").join(selected), sql.Identifier(schema), sql.Identifier(table)
    )
    with path.open("wb") as out, conn.cursor() as cur, cur.copy(query) as copy:
        for chunk in copy:
            out.write(chunk)
    return columns


def _batches(path: Path, columns: list[tuple[str, str]]) -> Iterator[pa.RecordBatch]:
    """The CSV of _copy_csv as record batches of the table's Parquet schema, a block at a time."""
    read_types = {
        name: pa.timestamp("us") if kind == "timestamp with time zone" else _ARROW_TYPES[kind]
        for name, kind in columns
    }
    schema = _schema(columns)
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
        # violation texts hold line breaks inside their quotes
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        # a quoted empty string is text, an unquoted empty field is null (Postgres's CSV)
        convert_options=pacsv.ConvertOptions(
            column_types=read_types,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    for batch in reader:
        yield batch.cast(schema)


def _schema(columns: list[tuple[str, str]]) -> pa.Schema:
    return pa.schema([pa.field(name, _ARROW_TYPES[kind]) for name, kind in columns])


def read_table(conn: psycopg.Connection, schema: str, table: str) -> pa.Table:
    """A whole table, typed as in Postgres."""
    with tempfile.TemporaryDirectory(prefix="canvass-lake-") as tmp:
        path = Path(tmp) / "table.csv"
        columns = _copy_csv(conn, schema, table, path)
        return pa.Table.from_batches(list(_batches(path, columns)), _schema(columns))


def export_raw(conn: psycopg.Connection, lake: Path | None = None) -> list[Exported]:
    """Write every raw table the dbt project reads to `<lake>/raw/<table>/`, replacing the last
    export; a table streams through in blocks, so its size is not held in memory."""
    lake = lake or lake_dir()
    out = []
    for table in RAW_TABLES:
        started = time.perf_counter()
        final = lake / "raw" / table
        staged = final.with_name(f".{table}.partial")
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        columns = _copy_csv(conn, "raw", table, staged / "table.csv")
        rows = 0
        with pq.ParquetWriter(staged / "part-00000.parquet", _schema(columns)) as writer:
            for batch in _batches(staged / "table.csv", columns):
                writer.write_batch(batch)
                rows += batch.num_rows
        (staged / "table.csv").unlink()
        old = final.with_name(f".{table}.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        staged.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        out.append(Exported(table, rows, final, time.perf_counter() - started))
        log.debug("lake: raw.%s, %d rows -> %s", table, rows, final)
    return out


# --- building on Spark -------------------------------------------------------------------------


def spark_available() -> str | None:
    """None when this machine can build on Spark; else what is missing and how to get it."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        return "the Spark extra is not installed: run `make spark`"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime: install openjdk-17-jre-headless (`make spark` does, as root)"
    return None


@dataclass(frozen=True)
class SparkBuild:
    success: bool
    seconds: float
    target_path: Path
    statuses: dict[str, int]
    failures: list[str]


def build_on_spark(
    target_path: Path,
    lake: Path | None = None,
    args: tuple[str, ...] = (),
    on_line: Callable[[str], None] | None = None,
) -> SparkBuild:
    """`dbt build --target spark --selector lake` on the lake, in its own process (Spark's JVM
    ends with it). `on_line` receives each line dbt prints, as it prints it."""
    if missing := spark_available():
        raise LakeError(f"cannot build on Spark: {missing}")
    lake = lake or lake_dir()
    missing_tables = [t for t in RAW_TABLES if not (lake / "raw" / t).is_dir()]
    if missing_tables:
        raise LakeError(
            f"the lake at {lake} has no {', '.join(missing_tables)}: "
            "run `canvass lake export` first (it writes the raw tables as Parquet)"
        )
    project = str(get_settings().project_dir)
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "build", "--target", "spark", "--selector", "lake", *args,
        "--project-dir", project, "--profiles-dir", project,
        "--target-path", str(target_path), "--log-path", str(target_path / "logs"),
    ]  # fmt: skip
    # no Postgres address reaches the build: it reads the lake alone
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DATABASE_URL" and not k.startswith(("CANVASS_PG_", "PG"))
    } | {"CANVASS_LAKE_DIR": str(lake), "DBT_USE_COLORS": "false"}
    (target_path / "logs").mkdir(parents=True, exist_ok=True)
    (target_path / "run_results.json").unlink(missing_ok=True)  # never read a past build's
    output: list[str] = []
    started = time.perf_counter()
    # Spark's driver writes derby.log in its working directory: the lake's
    with (target_path / "logs" / "spark-driver.log").open("w") as driver_log:
        with subprocess.Popen(
            command, cwd=lake, env=env, stdout=subprocess.PIPE, stderr=driver_log, text=True
        ) as process:
            for line in process.stdout or ():
                output.append(line)
                if on_line:
                    on_line(line.rstrip("\n"))
        returncode = process.returncode
    seconds = time.perf_counter() - started
    results_file = target_path / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    failures = [
        f"{r['unique_id']}: {r['status']} {(r.get('message') or '').strip()[:500]}"
        for r in results
        if r["status"] in {"error", "fail", "runtime error"}
    ]
    if returncode != 0 and not failures:
        failures = ["".join(output).strip()[-2000:] or "dbt failed before any node: see its log"]
    return SparkBuild(returncode == 0, seconds, target_path, statuses, failures)


# --- Spark's tables against Postgres's --------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    model: str
    postgres_rows: int
    spark_rows: int
    difference: str | None  # None: the same rows

    @property
    def equal(self) -> bool:
        return self.difference is None


def built_tables(target_path: Path) -> list[dict[str, str]]:
    """The tables a Spark build wrote (model name, Spark schema, Postgres schema), from its manifest."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    built = {r["unique_id"] for r in results if r["status"] == "success"}
    tables = []
    for node in manifest["nodes"].values():
        if node["unique_id"] not in built or node["resource_type"] != "model":
            continue
        if node["config"]["materialized"] not in {"table", "incremental"}:
            continue
        tables.append(
            {
                "model": node["name"],
                "table": node.get("alias") or node["name"],
                "spark_schema": node["schema"],
                # the dev target builds the custom schema under its own name (generate_schema_name)
                "postgres_schema": node["config"].get("schema") or "public",
            }
        )
    return sorted(tables, key=lambda t: t["model"])


def _comparable(table: pa.Table) -> pa.Table:
    """One type per kind of value, whichever engine wrote it: numbers as float64 (Postgres sums
    bigints to numeric, Spark to bigint), instants as naive UTC microseconds."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_timestamp(kind):
            if kind.tz is not None:
                column = column.cast(pa.timestamp(kind.unit, tz="UTC"))
                column = pc.local_timestamp(column)
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_large_string(kind):
            column = column.cast(pa.string())
        columns[name] = column
    return pa.table(columns)


def _sort_key(value: object) -> tuple:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (0, "")
    if isinstance(value, float):
        return (1, round(value, 9))
    return (2, str(value)) if not isinstance(value, int | bool) else (1, value)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def compare_tables(model: str, postgres: pa.Table, spark: pa.Table) -> Comparison:
    """Same columns in the same order, and the same rows in any order (floats to 1e-9)."""
    counts = (postgres.num_rows, spark.num_rows)
    if postgres.column_names != spark.column_names:
        return Comparison(
            model, *counts, f"columns differ: {postgres.column_names} vs {spark.column_names}"
        )
    if postgres.num_rows != spark.num_rows:
        return Comparison(model, *counts, f"{counts[0]} rows on Postgres, {counts[1]} on Spark")
    names = postgres.column_names
    rows = []
    for side in (postgres, spark):
        values = _comparable(side).to_pylist()
        rows.append(sorted(values, key=lambda r: tuple(_sort_key(r[n]) for n in names)))
    for left, right in zip(*rows, strict=True):
        for name in names:
            if not _same(left[name], right[name]):
                return Comparison(
                    model, *counts,
                    f"{name}: {left[name]!r} on Postgres, {right[name]!r} on Spark (row {left})",
                )  # fmt: skip
    return Comparison(model, *counts, None)


def compare(
    conn: psycopg.Connection, target_path: Path, lake: Path | None = None
) -> list[Comparison]:
    """Every table the Spark build at `target_path` wrote, against its model's table on Postgres."""
    lake = lake or lake_dir()
    out = []
    for table in built_tables(target_path):
        folder = _spark_folder(lake, table)
        spark = pq.read_table(folder) if folder.exists() else None
        postgres = read_table(conn, table["postgres_schema"], table["table"])
        if spark is None:
            out.append(Comparison(table["model"], postgres.num_rows, 0, f"no Parquet at {folder}"))
            continue
        out.append(compare_tables(table["model"], postgres, spark))
    return out


# --- the way back: Spark's tables to the serving Postgres --------------------------------------


@dataclass(frozen=True)
class Published:
    model: str
    table: str
    rows: int


def _spark_folder(lake: Path, table: dict[str, str]) -> Path:
    return lake / "spark-warehouse" / f"{table['spark_schema']}.db" / table["table"]


def _as_postgres(
    model: str, batch: pa.RecordBatch, columns: list[tuple[str, str]]
) -> pa.RecordBatch:
    """Spark's rows in the Postgres table's column order and types; a value that does not fit
    (3.5 for an integer) stops the publish naming the column."""
    cast = []
    for name, kind in columns:
        try:
            cast.append(batch.column(name).cast(_ARROW_TYPES[kind]))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise LakeError(f"{model}.{name}: Spark's values do not fit {kind}: {error}") from None
    return pa.RecordBatch.from_arrays(cast, names=[name for name, _ in columns])


def publish(
    conn: psycopg.Connection, target_path: Path, lake: Path | None = None
) -> list[Published]:
    """Replace the rows of every table the Spark build at `target_path` wrote in the same model's
    Postgres table, all in the caller's transaction: a reader sees the old tables or the new ones,
    never a mix, and an error leaves the caller a transaction to roll back. The Postgres tables
    must exist (a Postgres build made them, with the types, grants and indexes the serving layer
    relies on); only their rows change. Each table streams through a batch at a time."""
    lake = lake or lake_dir()
    tables = built_tables(target_path)
    if not tables:
        raise LakeError(
            f"the Spark build at {target_path} wrote no table: run `canvass lake build`"
        )
    checked = []
    for table in tables:  # every table's presence and columns checked before any row changes
        folder = _spark_folder(lake, table)
        if not folder.exists():
            raise LakeError(f"{table['model']}: no Parquet at {folder}: run `canvass lake build`")
        try:
            columns = _columns(conn, table["postgres_schema"], table["table"])
        except LookupError:
            raise LakeError(
                f"{table['postgres_schema']}.{table['table']} does not exist on Postgres: build "
                "it once with `canvass transform` (publish replaces rows, it does not create tables)"
            ) from None
        spark = pads.dataset(folder, format="parquet")
        names = [name for name, _ in columns]
        if sorted(names) != sorted(spark.schema.names):
            raise LakeError(
                f"{table['model']}: Spark's columns {spark.schema.names} are not Postgres's "
                f"{names}: build both from the same commit (`canvass transform`, then "
                "`canvass lake build`)"
            )
        checked.append((table, columns, spark))
    relations = [sql.Identifier(t["postgres_schema"], t["table"]) for t, _, _ in checked]
    conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(relations)))
    out = []
    for (table, columns, spark), relation in zip(checked, relations, strict=True):
        statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
            relation, sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
        )
        rows = 0
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for batch in spark.to_batches(batch_size=50_000):
                buffer = io.BytesIO()
                pacsv.write_csv(
                    _as_postgres(table["model"], batch, columns),
                    buffer,
                    pacsv.WriteOptions(include_header=False, quoting_style="needed"),
                )
                copy.write(buffer.getvalue())
                rows += batch.num_rows
        conn.execute(sql.SQL("analyze {}").format(relation))
        out.append(Published(table["model"], f"{table['postgres_schema']}.{table['table']}", rows))
        log.debug("lake: published %s, %d rows", table["model"], rows)
    return out
