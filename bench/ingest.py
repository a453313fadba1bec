"""Benchmark: load generated rows from a landing Parquet file into `raw`, against two yardsticks
measured in the same run on the same rows and the same server.

- `psql \\copy` of the same rows as CSV into an identical table (no validation, no upsert);
- pandas `DataFrame.to_sql(method="multi")`, the approach of typical course projects (measured on
  a sample, since at its speed a million rows takes many minutes; its rate is what is compared).

Canvass's time includes reading the landing file back with its sha256 check, COPY, every
validation, the quarantine of bad rows and the upsert. Targets: >= 0.9x psql's rate, >= 50x to_sql's.
Canvass and psql are compared in a second round, after a first round of each: the first large write
into a new server pays for creating its WAL segments, which flattered whichever went second.

    .venv/bin/python -m bench.ingest [--rows 1000000] [--to-sql-rows 20000]

Results are printed and kept in bench/results/ingest.json, one entry per row count. Besides the
first load it times the same batch loaded again (every row known) and a week of 1,000 new rows on
top of everything loaded.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psycopg
from sqlalchemy import create_engine

from bench._warehouse import bench_database
from flows.sources.demo import demo_rows
from warehouse import batches, landing

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"
WEEK_ROWS = 1_000  # about a week of the City's inspections
COLUMNS = (
    "inspection_id, dba_name, aka_name, license_number, facility_type, risk, address, city, "
    "state, zip, inspection_date, inspection_type, results, violations, latitude, longitude, "
    "location, batch_id, loaded_at"
)


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / "psql")


def _generate(rows: int) -> list[pd.DataFrame]:
    """About `rows` demo rows (the generator is sized by establishments), in chunks."""
    frames, total, seed = [], 0, 1
    while total < rows:
        frame = demo_rows(n_establishments=20_000, seed=seed)
        frames.append(frame)
        total += len(frame)
        seed += 1
        print(f"  generated {total:,} rows", end="\r", file=sys.stderr)
    print(file=sys.stderr)
    excess = total - rows
    if excess:
        frames[-1] = frames[-1].iloc[: len(frames[-1]) - excess]
    # Each chunk restarts inspection ids; give every row its own id, as a real export has.
    offset = 0
    for frame in frames:
        ids = pd.to_numeric(frame["inspection_id"], errors="coerce")
        frame["inspection_id"] = (ids + offset).astype("Int64").astype(str).where(ids.notna(), "")
        offset += int(ids.max()) + 1
    return frames


def _first_load(conn: psycopg.Connection, landed: landing.LandedFile) -> tuple[float, object]:
    batch = uuid.uuid4()
    batches.start_batch(conn, batch, "bench", {})
    started = time.perf_counter()
    result = batches.load_landed_batch(conn, batch, "bench", landed.url, landed.sha256)
    return time.perf_counter() - started, result


def _export_csv(conn: psycopg.Connection, path: Path) -> None:
    """raw's rows, typed, as CSV for psql; and an identical empty table to copy them into."""
    with (
        path.open("wb") as f,
        conn.cursor() as cur,
        cur.copy(
            f"copy (select {COLUMNS} from raw.food_inspections) to stdout (format csv)"  # noqa: S608
        ) as copy,
    ):
        for block in copy:
            f.write(block)
    conn.execute("create table public.copy_yardstick (like raw.food_inspections including all)")
    conn.commit()


def _psql_copy(conn: psycopg.Connection, url: str, path: Path) -> tuple[int, float]:
    """(rows, seconds) of `psql \\copy` of `path` into the emptied yardstick table."""
    conn.execute("truncate public.copy_yardstick")
    conn.commit()
    started = time.perf_counter()
    subprocess.run(
        [
            _psql(),
            url,
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"\\copy public.copy_yardstick ({COLUMNS}) from '{path}' with (format csv)",
        ],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    return conn.execute("select count(*) from public.copy_yardstick").fetchone()[0], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--to-sql-rows", type=int, default=20_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="canvass-bench-"))
    try:
        with bench_database() as url, psycopg.connect(url) as conn:
            print(f"generating {args.rows:,} demo rows", file=sys.stderr)
            frames = _generate(args.rows)
            landed = landing.write_batch(frames, str(work / "batch.parquet"))
            print(
                f"landed {landed.rows:,} rows, {landed.bytes / 1e6:.1f} MB Parquet", file=sys.stderr
            )

            # two rounds of a first load and psql's copy, each into an empty table (module docstring)
            csv_path = work / "rows.csv"
            rounds = []
            for round_no in (1, 2):
                conn.execute("truncate raw.food_inspections, raw.food_inspections_history")
                conn.commit()
                canvass_s, result = _first_load(conn, landed)
                if round_no == 1:
                    _export_csv(conn, csv_path)
                copied, psql_s = _psql_copy(conn, url, csv_path)
                rounds.append(
                    {"canvass_seconds": round(canvass_s, 2), "psql_copy_seconds": round(psql_s, 2)}
                )
                print(
                    f"round {round_no}: canvass {canvass_s:.1f} s ({result}), "
                    f"psql \\copy {psql_s:.1f} s",
                    file=sys.stderr,
                )
            canvass_rate = landed.rows / canvass_s
            psql_rate = copied / psql_s

            # Loading the same batch again: every row is known, compared in SQL, and left alone.
            again = uuid.uuid4()
            batches.start_batch(conn, again, "bench", {})
            started = time.perf_counter()
            rerun = batches.load_landed_batch(conn, again, "bench", landed.url, landed.sha256)
            rerun_s = time.perf_counter() - started
            assert rerun.rows_inserted == 0 and rerun.rows_updated == 0, rerun
            print(f"same batch again: {rerun_s:.1f} s, nothing changed", file=sys.stderr)

            # A week of new inspections on top of everything: its cost should follow the week's
            # rows, not raw's (the known-id check looks keys up in raw's primary key).
            week = _generate(WEEK_ROWS)[0]
            top = conn.execute("select max(inspection_id) from raw.food_inspections").fetchone()[0]
            ids = pd.to_numeric(week["inspection_id"], errors="coerce")
            week["inspection_id"] = (
                (ids + top + 1).astype("Int64").astype(str).where(ids.notna(), "")
            )
            week_landed = landing.write_batch([week], str(work / "week.parquet"))
            weekly = uuid.uuid4()
            batches.start_batch(conn, weekly, "bench", {})
            started = time.perf_counter()
            week_result = batches.load_landed_batch(
                conn, weekly, "bench", week_landed.url, week_landed.sha256
            )
            week_s = time.perf_counter() - started
            print(
                f"a week ({week_landed.rows:,} rows) on {landed.rows:,}: {week_s:.2f} s, "
                f"{week_landed.rows / week_s:,.0f} rows/s",
                file=sys.stderr,
            )

            sample = pd.read_sql_query(
                f"select {COLUMNS} from raw.food_inspections limit %(n)s",  # noqa: S608
                create_engine(url.replace("postgresql://", "postgresql+psycopg://")),
                params={"n": args.to_sql_rows},
            )
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            started = time.perf_counter()
            sample.to_sql(
                "to_sql_yardstick",
                engine,
                schema="public",
                method="multi",
                chunksize=1000,
                index=False,
            )
            to_sql_s = time.perf_counter() - started
            to_sql_rate = len(sample) / to_sql_s
            print(
                f"to_sql(method='multi'): {len(sample):,} rows in {to_sql_s:.1f} s, {to_sql_rate:,.0f} rows/s",
                file=sys.stderr,
            )
            engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report = {
        "benchmark": "ingest",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "rows": landed.rows,
        "canvass_seconds": round(canvass_s, 2),
        "canvass_rows_per_s": round(canvass_rate),
        "canvass_steps_seconds": result.step_seconds,
        "rounds": rounds,
        "same_batch_again_seconds": round(rerun_s, 2),
        "same_batch_again_vs_first": round(rerun_s / canvass_s, 3),
        "same_batch_again_steps_seconds": rerun.step_seconds,
        "week_rows": week_landed.rows,
        "week_seconds": round(week_s, 3),
        "week_rows_per_s": round(week_landed.rows / week_s),
        "week_steps_seconds": week_result.step_seconds,
        "psql_copy_seconds": round(psql_s, 2),
        "psql_copy_rows_per_s": round(psql_rate),
        "to_sql_rows": len(sample),
        "to_sql_rows_per_s": round(to_sql_rate),
        "ratio_vs_psql_copy": round(canvass_rate / psql_rate, 3),
        "ratio_vs_to_sql": round(canvass_rate / to_sql_rate, 1),
        "targets": {"ratio_vs_psql_copy": ">= 0.9", "ratio_vs_to_sql": ">= 50"},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if "runs" not in kept:  # the file held one run before runs were kept by size
        kept = {"runs": {str(kept["rows"]): kept} if "rows" in kept else {}}
    kept["runs"][str(landed.rows)] = report
    RESULTS.write_text(json.dumps(kept, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
