"""Loading a landed batch into `raw`: check, quarantine, write — one transaction.

`warehouse.validate` types and checks every row with Arrow (vectorised), so a malformed value
becomes a reject with a reason and its original payload in `meta.ingest_rejects`, never an
exception that loses the batch. Each good row gets a digest of its values (`row_digest`, 64 bits,
stored in raw). Rows whose key raw does not hold yet are COPYed straight into raw, in
PostgreSQL's binary format (`warehouse.copy_binary`: the server parses no text), while the next
table is checked in a thread. Rows whose key raw holds with the same digest are unchanged: only
their keys and digests travel, so loading a batch of known rows costs less than loading it new.
Which keys raw holds is looked up in raw's primary key per table; a large batch into a large raw
reads raw's keys and digests once instead (`_raw_digests`), since each lookup would scan raw.
Rows whose key raw holds with another digest (or none: rows loaded before digests), and repeats
of one inside the batch, are staged and settled in SQL: the last version in source order
wins, a real difference keeps the previous version in the dataset's history table (for inspections
`raw.food_inspections_history`), an identical row changes nothing but its stored digest — so
loading the same batch twice changes nothing. Every dataset of `warehouse.datasets` loads through
this one path.
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

from warehouse import copy_binary
from warehouse.datasets import FOOD_INSPECTIONS, Dataset
from warehouse.validate import check

log = logging.getLogger(__name__)

_COPY_CHUNK = 1 << 20
# A table of at least this many first-seen rows, after an earlier one, reads raw's keys and digests
# once instead of looking its keys up (`load_tables`).
_SNAPSHOT_ROWS = 50_000


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

insert into {history} ({columns}, batch_id, loaded_at, superseded_at, superseded_by_batch)
select {raw_columns}, r.batch_id, r.loaded_at, now(), %(batch_id)s
from {raw} as r
inner join _diff as d on d.{key} = r.{key};

update {raw} as r
set {updates}, row_digest = c.row_digest, batch_id = %(batch_id)s, loaded_at = now()
from _final as c
inner join _diff as d on d.{key} = c.{key}
where r.{key} = c.{key};

update {raw} as r
set row_digest = c.row_digest
from _final as c
where r.{key} = c.{key} and r.row_digest is distinct from c.row_digest;
"""

# The keys of a table that raw holds, and whether raw's digest is the table's (COPY: a reload's
# million keys come back as one CSV, not a million tuples).
_KNOWN_SQL = """
copy (
    select k.{key}, (r.row_digest is not distinct from k.row_digest)::int
    from _keys as k
    inner join {raw} as r on r.{key} = k.{key}
) to stdout (format csv)
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
    # COPY stream of first_seen's raw columns, encoded in the check thread when every first-seen
    # row is new (raw was empty); otherwise None, and only the new ones are encoded
    first_seen_copy: bytes | None
    repeats: pa.Table
    max_event_date: object  # of every good row (None: undated, or no good row)


def row_digests(typed: pa.Table, columns: list[str]) -> pa.Array:
    """A 64-bit digest of each row's values (pandas' stable hash of the typed columns, and which of
    them are null, so that a null and the text 'nan' differ). Equal digests stand for equal rows;
    a digest computed otherwise (an older row, another pandas) only costs a full comparison."""
    frame = typed.select(columns).to_pandas(date_as_object=False, timestamp_as_object=False)
    nulls = np.zeros(typed.num_rows, dtype=np.int64)
    for bit, name in enumerate(columns):
        nulls |= typed.column(name).is_null().to_numpy(zero_copy_only=False).astype(np.int64) << bit
    frame["__nulls"] = nulls
    # categorize=False: most of the text is unique, factorizing it first is slower (0.52 s
    # against 0.38 s for 300k inspections)
    hashed = pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy()
    return pa.array(hashed.view(np.int64), pa.int64())


def _copy(
    conn: psycopg.Connection, target: sql.Composable, columns: list[str], data: bytes
) -> None:
    """COPY `data` (`copy_binary.encode` of the `columns`) into `target`."""
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for start in range(0, len(data), _COPY_CHUNK):
            copy.write(data[start : start + _COPY_CHUNK])


def _prepare_all(
    tables: Iterable[pa.Table], batch_id: uuid.UUID, dataset: Dataset, encode: bool
) -> Iterator[_Prepared]:
    """Check each table and split its good rows into first occurrences and repeats (by key)."""
    seen: pa.Array | None = None
    first_row = 0
    raw_columns = [*dataset.columns, "row_digest", "batch_id"]
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
        typed = typed.append_column("row_digest", row_digests(typed, list(dataset.columns)))
        max_event_date = (
            pc.max(typed[dataset.event_date]).as_py()
            if dataset.event_date and typed.num_rows
            else None
        )
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
            "batch_id", copy_binary.uuid_column(batch_id, first_seen.num_rows)
        )
        yield _Prepared(
            rows=table.num_rows,
            rejects=rejects,
            first_seen=first_seen,
            first_seen_copy=copy_binary.encode(first_seen.select(raw_columns)) if encode else None,
            repeats=repeats,
            max_event_date=max_event_date,
        )
        first_row += table.num_rows


def _known_by_lookup(
    conn: psycopg.Connection, rows: pa.Table, key: str, known_sql: sql.Composable
) -> pa.Table:
    """The keys of `rows` that raw holds, and whether raw's digest is theirs (`same`: 1 or 0),
    looked up in raw."""
    conn.execute("truncate _keys")
    _copy(
        conn,
        sql.Identifier("_keys"),
        [key, "row_digest"],
        copy_binary.encode(rows.select([key, "row_digest"])),
    )
    # Statistics for the planner: a week's keys are looked up in raw's primary key, a reload's
    # join is planned for its real size (without them, raw was scanned whole).
    conn.execute("analyze _keys")
    with conn.cursor() as cur, cur.copy(known_sql) as copy:
        data = b"".join(copy)
    return _read_csv(data, [key, "same"], [rows.schema.field(key).type, pa.int8()])


def _read_csv(data: bytes, names: list[str], types: list[pa.DataType]) -> pa.Table:
    if not data:
        return pa.table({n: pa.array([], t) for n, t in zip(names, types, strict=True)})
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(zip(names, types, strict=True)), quoted_strings_can_be_null=False
        ),
    )


def _raw_digests(conn: psycopg.Connection, raw: sql.Composable, key: str) -> pa.Table:
    """Every key raw holds with its digest (null: loaded before digests), read once: as three
    byte strings (big-endian keys, digests, null flags), since a COPY or a result set of a million
    rows costs seconds of Python per row."""
    statement = sql.SQL(
        "select coalesce(string_agg(int8send({key}), ''), ''), "
        "coalesce(string_agg(int8send(coalesce(row_digest, 0)), ''), ''), "
        "coalesce(string_agg(case when row_digest is null then '\\x01' else '\\x00' end::bytea, "
        "''), '') "
        "from {raw}"
    ).format(key=sql.Identifier(key), raw=raw)
    keys, digests, nulls = conn.execute(statement).fetchone()
    missing = np.frombuffer(nulls, np.uint8).astype(bool)
    return pa.table(
        {
            key: pa.array(np.frombuffer(keys, ">i8").astype(np.int64)),
            "row_digest": pa.array(np.frombuffer(digests, ">i8").astype(np.int64), mask=missing),
        }
    )


def _known_in(snapshot: pa.Table, rows: pa.Table, key: str) -> pa.Table:
    """As `_known_by_lookup`, from `_raw_digests` read earlier in the load."""
    joined = rows.select([key, "row_digest"]).join(
        snapshot, keys=key, join_type="inner", right_suffix="_raw"
    )
    same = pc.fill_null(pc.equal(joined["row_digest"], joined["row_digest_raw"]), False)
    return pa.table({key: joined[key], "same": pc.cast(same, pa.int8())})


def _split_known(rows: pa.Table, known: pa.Table, key: str) -> tuple[pa.Table, pa.Table]:
    """(rows whose key raw does not hold, rows raw holds with another digest or none); rows raw
    holds with the same digest are in neither: they are unchanged."""
    if not known.num_rows:
        return rows, rows.slice(0, 0)
    differs = known.filter(pc.equal(known["same"], 0))[key].combine_chunks()
    is_known = pc.is_in(rows[key], value_set=known[key].combine_chunks())
    return rows.filter(pc.invert(is_known)), rows.filter(pc.is_in(rows[key], value_set=differs))


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
    raw_columns = [*dataset.columns, "row_digest", "batch_id"]
    changed_columns = ["source_row", *dataset.columns, "row_digest"]
    conn.execute("set local work_mem = '256MB'")
    # `on commit drop` does not fire inside a savepoint; start clean whatever the caller's nesting.
    conn.execute("drop table if exists _keys, _changed, _final, _diff")
    conn.execute(
        sql.SQL(
            "create temporary table _keys on commit drop as select {}, row_digest from {} limit 0"
        ).format(sql.Identifier(key), raw)
    )
    conn.execute(
        sql.SQL(
            "create temporary table _changed on commit drop as "
            "select 0::bigint as source_row, {}, row_digest from {} limit 0"
        ).format(sql.SQL(", ").join(map(sql.Identifier, dataset.columns)), raw)
    )
    known_sql = sql.SQL(_KNOWN_SQL).format(key=sql.Identifier(key), raw=raw)
    # Into an empty raw (a first load) no key can be known: a key repeated across the batch's
    # tables is a repeat (`_prepare_all`), not a known row, so the key lookups are skipped.
    raw_was_empty = conn.execute(
        sql.SQL("select not exists (select from {})").format(raw)
    ).fetchone()[0]
    max_date = None
    snapshot: pa.Table | None = None
    for tables_seen, part in enumerate(
        _ahead(_prepare_all(tables, batch_id, dataset, encode=raw_was_empty)), start=1
    ):
        result.rows_landed += part.rows
        result.rows_rejected += len(part.rejects)
        result.rows_duplicate += part.repeats.num_rows
        steps.done("check")
        if part.rejects:
            with conn.cursor() as cur:
                cur.executemany(_REJECT_SQL, [(batch_id, *r) for r in part.rejects])
        if part.max_event_date is not None:
            max_date = max(max_date, part.max_event_date) if max_date else part.max_event_date
        new = part.first_seen
        if new.num_rows and not raw_was_empty:
            # A large batch into a large raw: each table's lookup would scan raw whole, so from
            # the second large table on, raw's keys and digests are read once and matched here
            # (whole-number keys: inspections, burglaries). Keys an earlier table of the batch
            # wrote are repeats, never looked up.
            if (
                snapshot is None
                and tables_seen > 1
                and new.num_rows >= _SNAPSHOT_ROWS
                and pa.types.is_int64(new.schema.field(key).type)
            ):
                snapshot = _raw_digests(conn, raw, key)
            known = (
                _known_in(snapshot, new, key)
                if snapshot is not None
                else _known_by_lookup(conn, new, key, known_sql)
            )
            new, changed = _split_known(new, known, key)
            if changed.num_rows:
                _copy(
                    conn,
                    sql.Identifier("_changed"),
                    changed_columns,
                    copy_binary.encode(changed.select(changed_columns)),
                )
        steps.done("compare")
        if new.num_rows:
            # encoded ahead in the check thread when raw was empty (every first-seen row is new)
            data = part.first_seen_copy or copy_binary.encode(new.select(raw_columns))
            _copy(conn, raw, raw_columns, data)
            result.rows_inserted += new.num_rows
        if part.repeats.num_rows:
            _copy(
                conn,
                sql.Identifier("_changed"),
                changed_columns,
                copy_binary.encode(part.repeats.select(changed_columns)),
            )
        steps.done("write")

    parts = {
        "key": sql.Identifier(key),
        "raw": raw,
        "columns": sql.SQL(", ").join(map(sql.Identifier, dataset.columns)),
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
