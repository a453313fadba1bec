"""Loading a landed batch into `raw`: check, quarantine, write — one transaction.

`warehouse.validate` types and checks every row with Arrow (vectorised), so a malformed value
becomes a reject with a reason and its original payload in `meta.ingest_rejects`, never an
exception that loses the batch. Good rows whose key raw does not hold yet are COPYed straight into
raw (the next table is checked in a thread meanwhile). Rows whose key raw holds already, and
repeats of one inside the batch, are staged and settled in SQL: the last version in source order
wins, a real difference keeps the previous version in the dataset's history table (for inspections
`raw.food_inspections_history`), an identical row changes nothing — so loading the same batch
twice changes nothing. Every dataset of `warehouse.datasets` loads through this one path.
"""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from warehouse.datasets import FOOD_INSPECTIONS, Dataset
from warehouse.validate import check

log = logging.getLogger(__name__)

_COPY_CHUNK = 1 << 20


@dataclass
class LoadResult:
    rows_landed: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    max_event_date: str | None = None  # the newest event date loaded (None for undated rows)
    step_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class _Steps:
    """Times each step of a load (debug log; the benchmark prints the same figures)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._last
        self._last = now


_REJECT_SQL = """
insert into meta.ingest_rejects (batch_id, source_row, reason, payload)
values (%s, %s, %s, %s)
on conflict (batch_id, source_row) do nothing
"""

# Rows whose key raw holds already (or that repeat one earlier in this batch): the last version in
# source order wins; a real difference keeps the previous version in history.
_SETTLE_SQL = """
create temporary table _final on commit drop as
select distinct on ({key}) * from _changed order by {key}, source_row desc;

analyze _final;

create temporary table _diff on commit drop as
select c.{key}, r.batch_id <> %(batch_id)s as known_before
from _final as c
inner join {raw} as r on r.{key} = c.{key}
where ({raw_columns}) is distinct from ({changed_columns});

insert into {history}
select r.*, now(), %(batch_id)s
from {raw} as r
inner join _diff as d on d.{key} = r.{key};

update {raw} as r
set {updates}, batch_id = %(batch_id)s, loaded_at = now()
from _final as c
inner join _diff as d on d.{key} = c.{key}
where r.{key} = c.{key};
"""


def _table(name: str) -> sql.Composable:
    """`schema.table` from the registry as an identifier."""
    return sql.Identifier(*name.split("."))


@dataclass
class _Prepared:
    """One landed table, checked: its rejects, its rows seen first here, and its repeats."""

    rows: int
    rejects: list[tuple[int, str, str]]
    first_seen: pa.Table
    first_seen_csv: bytes
    repeats: pa.Table


def _csv(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(
        table, buffer, pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    )
    return buffer.getvalue()


def _copy(
    conn: psycopg.Connection, target: sql.Composable, columns: list[str], data: bytes
) -> None:
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for start in range(0, len(data), _COPY_CHUNK):
            copy.write(data[start : start + _COPY_CHUNK])


def _prepare_all(
    tables: Iterable[pa.Table], batch_id: uuid.UUID, dataset: Dataset
) -> Iterator[_Prepared]:
    """Check each table and split its good rows into first occurrences and repeats (by key)."""
    seen: pa.Array | None = None
    first_row = 0
    batch = str(batch_id)
    raw_columns = [*dataset.columns, "batch_id"]
    for table in tables:
        checked = check(table, first_row=first_row, dataset=dataset)
        rejects = [
            (row, reason, json.dumps(table.slice(row - first_row, 1).to_pylist()[0]))
            for row, reason in zip(
                checked.rejected_rows.to_pylist(), checked.reasons.to_pylist(), strict=True
            )
        ]
        typed = checked.typed
        if rejects:
            typed = typed.filter(typed["ok"])
        typed = typed.drop_columns(["ok"])
        ids = typed[dataset.key].combine_chunks()
        repeat = pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated(keep="first").to_numpy()
        if seen is not None and len(seen):
            repeat |= pc.is_in(ids, value_set=seen).to_numpy(zero_copy_only=False)
        first_ids = ids.filter(pa.array(~repeat))
        seen = first_ids if seen is None else pa.concat_arrays([seen, first_ids])
        if repeat.any():
            first_seen, repeats = typed.filter(pa.array(~repeat)), typed.filter(pa.array(repeat))
        else:
            first_seen, repeats = typed, typed.slice(0, 0)
        first_seen = first_seen.append_column(
            "batch_id", pa.array([batch] * first_seen.num_rows, pa.string())
        )
        yield _Prepared(
            rows=table.num_rows,
            rejects=rejects,
            first_seen=first_seen,
            first_seen_csv=_csv(first_seen.select(raw_columns)),
            repeats=repeats,
        )
        first_row += table.num_rows


def _ahead(items: Iterator[_Prepared]) -> Iterator[_Prepared]:
    """Prepare the next table in a thread while the database writes this one (Arrow and the
    socket both release the GIL, so checking and writing overlap)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="canvass-check") as pool:
        pending = pool.submit(next, items, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, items, None)
            yield item


def load_tables(
    conn: psycopg.Connection,
    tables: Iterable[pa.Table],
    batch_id: uuid.UUID,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> LoadResult:
    """Load canonical string tables of `dataset` as one batch, in the caller's transaction. The
    caller holds the load lock (`warehouse.batches.load_lock`): the writes assume no concurrent
    writer."""
    result = LoadResult()
    steps = _Steps()
    key = dataset.key
    raw = _table(dataset.raw_table)
    raw_columns = [*dataset.columns, "batch_id"]
    changed_columns = ["source_row", *dataset.columns]
    conn.execute("set local work_mem = '256MB'")
    # `on commit drop` does not fire inside a savepoint; start clean whatever the caller's nesting.
    conn.execute("drop table if exists _keys, _changed, _final, _diff")
    conn.execute(
        sql.SQL("create temporary table _keys on commit drop as select {} from {} limit 0").format(
            sql.Identifier(key), raw
        )
    )
    conn.execute(
        sql.SQL(
            "create temporary table _changed on commit drop as "
            "select 0::bigint as source_row, {} from {} limit 0"
        ).format(sql.SQL(", ").join(map(sql.Identifier, dataset.columns)), raw)
    )
    max_date = None
    for part in _ahead(_prepare_all(tables, batch_id, dataset)):
        result.rows_landed += part.rows
        result.rows_rejected += len(part.rejects)
        result.rows_duplicate += part.repeats.num_rows
        steps.done("check")
        if part.rejects:
            with conn.cursor() as cur:
                cur.executemany(_REJECT_SQL, [(batch_id, *r) for r in part.rejects])
        new, new_csv = part.first_seen, part.first_seen_csv
        if new.num_rows:
            conn.execute("truncate _keys")
            _copy(conn, sql.Identifier("_keys"), [key], _csv(new.select([key])))
            # Statistics for the planner: a week's keys are looked up in raw's primary key, a
            # reload's join is planned for its real size (without them, raw was scanned whole).
            conn.execute("analyze _keys")
            known = conn.execute(
                sql.SQL("select k.{0} from _keys as k inner join {1} as r on r.{0} = k.{0}").format(
                    sql.Identifier(key), raw
                )
            ).fetchall()
            if known:
                is_known = pc.is_in(
                    new[key], value_set=pa.array([k for (k,) in known], new.schema.field(key).type)
                )
                existing, new = new.filter(is_known), new.filter(pc.invert(is_known))
                new_csv = _csv(new.select(raw_columns))
                _copy(
                    conn,
                    sql.Identifier("_changed"),
                    changed_columns,
                    _csv(existing.select(changed_columns)),
                )
            steps.done("compare")
            if new.num_rows:
                _copy(conn, raw, raw_columns, new_csv)
                result.rows_inserted += new.num_rows
                if dataset.event_date:
                    chunk_max = pc.max(new[dataset.event_date]).as_py()
                    max_date = chunk_max if max_date is None else max(max_date, chunk_max)
        if part.repeats.num_rows:
            _copy(
                conn,
                sql.Identifier("_changed"),
                changed_columns,
                _csv(part.repeats.select(changed_columns)),
            )
        steps.done("write")

    parts = {
        "key": sql.Identifier(key),
        "raw": raw,
        "history": _table(dataset.history_table),
        "raw_columns": sql.SQL(", ").join(
            sql.SQL("r.{}").format(sql.Identifier(c)) for c in dataset.columns
        ),
        "changed_columns": sql.SQL(", ").join(
            sql.SQL("c.{}").format(sql.Identifier(c)) for c in dataset.columns
        ),
        "updates": sql.SQL(", ").join(
            sql.SQL("{0} = c.{0}").format(sql.Identifier(c)) for c in dataset.columns if c != key
        ),
    }
    for statement in filter(str.strip, _SETTLE_SQL.split(";")):
        conn.execute(sql.SQL(statement).format(**parts), {"batch_id": batch_id})
    result.rows_updated = conn.execute("select count(*) from _diff where known_before").fetchone()[
        0
    ]
    if dataset.event_date:
        changed_max = conn.execute(
            sql.SQL("select max({}) from _final").format(sql.Identifier(dataset.event_date))
        ).fetchone()[0]
        if changed_max is not None:
            max_date = changed_max if max_date is None else max(max_date, changed_max)
    result.max_event_date = None if max_date is None else str(max_date)
    result.rows_unchanged = (
        result.rows_landed
        - result.rows_rejected
        - result.rows_duplicate
        - result.rows_inserted
        - result.rows_updated
    )
    steps.done("settle changes")
    result.step_seconds = {k: round(v, 3) for k, v in steps.seconds.items()}
    log.debug("load steps: %s", result.step_seconds)
    if result.rows_rejected:
        counts = conn.execute(
            "select reason, count(*) from meta.ingest_rejects where batch_id = %s group by reason",
            [batch_id],
        ).fetchall()
        log.warning(
            "batch %s: %s rows quarantined: %s",
            batch_id,
            result.rows_rejected,
            json.dumps(dict(counts)),
        )
    return result


def raw_checksum(conn: psycopg.Connection, dataset: Dataset = FOOD_INSPECTIONS) -> tuple[int, str]:
    """(rows, md5 of every canonical value in key order): equal checksums, equal raw tables."""
    columns = sql.SQL(", ").join(map(sql.Identifier, dataset.columns))
    return conn.execute(
        sql.SQL(
            "select count(*), md5(coalesce(string_agg(row({})::text, '' order by {}), '')) from {}"
        ).format(columns, sql.Identifier(dataset.key), _table(dataset.raw_table))
    ).fetchone()
