"""Loading a landed batch into `raw`: check, quarantine, write — one transaction.

`warehouse.validate` types and checks every row with Arrow (vectorised), so a malformed value
becomes a reject with a reason and its original payload in `meta.ingest_rejects`, never an
exception that loses the batch. Good rows whose inspection raw does not hold yet are COPYed straight
into raw (the next table is checked in a thread meanwhile). Rows of inspections raw holds already,
and repeats of one inside the batch, are staged and settled in SQL: the last version in source
order wins, a real difference keeps the previous version in `raw.food_inspections_history`, an
identical row changes nothing — so loading the same batch twice changes nothing.
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

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from warehouse.datasets import CANONICAL_COLUMNS
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
    max_inspection_date: str | None = None
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

_RAW_COLUMNS = [*CANONICAL_COLUMNS, "batch_id"]
_CHANGED_COLUMNS = ["source_row", *CANONICAL_COLUMNS]

# Rows whose inspection raw holds already (or that repeat one earlier in this batch): the last
# version in source order wins; a real difference keeps the previous version in history.
_SETTLE_SQL = """
create temporary table _final on commit drop as
select distinct on (inspection_id) * from _changed order by inspection_id, source_row desc;

analyze _final;

create temporary table _diff on commit drop as
select c.inspection_id, r.batch_id <> %(batch_id)s as known_before
from _final as c
inner join raw.food_inspections as r on r.inspection_id = c.inspection_id
where ({raw_columns}) is distinct from ({changed_columns});

insert into raw.food_inspections_history
select r.*, now(), %(batch_id)s
from raw.food_inspections as r
inner join _diff as d on d.inspection_id = r.inspection_id;

update raw.food_inspections as r
set {updates}, batch_id = %(batch_id)s, loaded_at = now()
from _final as c
inner join _diff as d on d.inspection_id = c.inspection_id
where r.inspection_id = c.inspection_id;
"""


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


def _prepare_all(tables: Iterable[pa.Table], batch_id: uuid.UUID) -> Iterator[_Prepared]:
    """Check each table and split its good rows into first occurrences and repeats (by id)."""
    seen = np.empty(0, dtype=np.int64)
    first_row = 0
    batch = str(batch_id)
    for table in tables:
        checked = check(table, first_row=first_row)
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
        ids = typed["inspection_id"].to_numpy()
        repeat = pd.Series(ids).duplicated(keep="first").to_numpy() | np.isin(ids, seen)
        seen = np.concatenate([seen, ids[~repeat]])
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
            first_seen_csv=_csv(first_seen.select(_RAW_COLUMNS)),
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
    conn: psycopg.Connection, tables: Iterable[pa.Table], batch_id: uuid.UUID
) -> LoadResult:
    """Load canonical string tables as one batch, in the caller's transaction. The caller holds
    the load lock (`warehouse.batches.load_lock`): the writes assume no concurrent writer."""
    result = LoadResult()
    steps = _Steps()
    conn.execute("set local work_mem = '256MB'")
    # `on commit drop` does not fire inside a savepoint; start clean whatever the caller's nesting.
    conn.execute("drop table if exists _keys, _changed, _final, _diff")
    conn.execute("create temporary table _keys (inspection_id bigint) on commit drop")
    conn.execute(
        sql.SQL(
            "create temporary table _changed on commit drop as "
            "select 0::bigint as source_row, {} from raw.food_inspections limit 0"
        ).format(sql.SQL(", ").join(map(sql.Identifier, CANONICAL_COLUMNS)))
    )
    max_date = None
    for part in _ahead(_prepare_all(tables, batch_id)):
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
            _copy(
                conn,
                sql.Identifier("_keys"),
                ["inspection_id"],
                _csv(new.select(["inspection_id"])),
            )
            # Statistics for the planner: a week's keys are looked up in raw's primary key, a
            # reload's join is planned for its real size (without them, raw was scanned whole).
            conn.execute("analyze _keys")
            known = conn.execute(
                "select k.inspection_id from _keys as k "
                "inner join raw.food_inspections as r on r.inspection_id = k.inspection_id"
            ).fetchall()
            if known:
                is_known = pc.is_in(
                    new["inspection_id"], pa.array([k for (k,) in known], pa.int64())
                )
                existing, new = new.filter(is_known), new.filter(pc.invert(is_known))
                new_csv = _csv(new.select(_RAW_COLUMNS))
                _copy(
                    conn,
                    sql.Identifier("_changed"),
                    _CHANGED_COLUMNS,
                    _csv(existing.select(_CHANGED_COLUMNS)),
                )
            steps.done("compare")
            if new.num_rows:
                _copy(conn, sql.SQL("raw.food_inspections"), _RAW_COLUMNS, new_csv)
                result.rows_inserted += new.num_rows
                chunk_max = pc.max(new["inspection_date"]).as_py()
                max_date = chunk_max if max_date is None else max(max_date, chunk_max)
        if part.repeats.num_rows:
            _copy(
                conn,
                sql.Identifier("_changed"),
                _CHANGED_COLUMNS,
                _csv(part.repeats.select(_CHANGED_COLUMNS)),
            )
        steps.done("write")

    parts = {
        "raw_columns": sql.SQL(", ").join(
            sql.SQL("r.{}").format(sql.Identifier(c)) for c in CANONICAL_COLUMNS
        ),
        "changed_columns": sql.SQL(", ").join(
            sql.SQL("c.{}").format(sql.Identifier(c)) for c in CANONICAL_COLUMNS
        ),
        "updates": sql.SQL(", ").join(
            sql.SQL("{0} = c.{0}").format(sql.Identifier(c))
            for c in CANONICAL_COLUMNS
            if c != "inspection_id"
        ),
    }
    for statement in filter(str.strip, _SETTLE_SQL.split(";")):
        conn.execute(sql.SQL(statement).format(**parts), {"batch_id": batch_id})
    result.rows_updated = conn.execute("select count(*) from _diff where known_before").fetchone()[
        0
    ]
    changed_max = conn.execute("select max(inspection_date) from _final").fetchone()[0]
    if changed_max is not None:
        max_date = changed_max if max_date is None else max(max_date, changed_max)
    result.max_inspection_date = None if max_date is None else str(max_date)
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


def raw_checksum(conn: psycopg.Connection) -> tuple[int, str]:
    """(rows, md5 of every canonical value in id order): equal checksums, equal raw tables."""
    columns = sql.SQL(", ").join(map(sql.Identifier, CANONICAL_COLUMNS))
    return conn.execute(
        sql.SQL(
            "select count(*), md5(coalesce(string_agg(row({})::text, '' order by inspection_id), ''))"
            " from raw.food_inspections"
        ).format(columns)
    ).fetchone()
