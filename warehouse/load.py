"""Loading a landed batch into `raw`: COPY, validate, quarantine, upsert — one transaction.

The landed table holds strings in the canonical columns. Postgres does the typing: every value is
checked with `pg_input_is_valid` (PostgreSQL 16+) so a bad value becomes a reject with a reason,
never an exception that loses the batch. Valid rows are upserted on `inspection_id`; a changed record
keeps its previous version in `raw.food_inspections_history`; an unchanged one is left alone, so
loading the same batch twice changes nothing.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from flows.sources.schema import CANONICAL_COLUMNS

log = logging.getLogger(__name__)

# Chicago's bounding box, with a margin: coordinates outside it are typos, not restaurants.
CHICAGO_BBOX = {"lat_min": 41.60, "lat_max": 42.05, "lon_min": -87.95, "lon_max": -87.50}

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

    def as_dict(self) -> dict[str, int | str | None]:
        return asdict(self)


# Columns the checks type or clean; the rest are loaded as the source wrote them.
_TYPED_COLUMNS = {
    "inspection_id",
    "license_number",
    "inspection_date",
    "latitude",
    "longitude",
    "zip",
}
_TEXT_COLUMNS = [c for c in CANONICAL_COLUMNS if c not in _TYPED_COLUMNS]

# Reasons are checked in order; the first that applies is recorded. The source writes 0 for an
# unknown coordinate or zip: those are missing values, not places in the Gulf of Guinea.
_CHECK_SQL = """
create temporary table _checked on commit drop as
with trimmed as (
    select
        source_row,
        nullif(btrim(inspection_id), '') as v_id,
        nullif(btrim(inspection_date), '') as v_date,
        nullif(btrim(license_number), '') as v_license,
        case when btrim(latitude) !~ '^-?0*(\\.0*)?$' then btrim(latitude) end as v_lat,
        case when btrim(longitude) !~ '^-?0*(\\.0*)?$' then btrim(longitude) end as v_lon,
        case when btrim(zip) !~ '^0*(\\.0*)?$' then btrim(zip) end as v_zip
    from _incoming
),
checked as (
    select
        *,
        case
            when v_id is null then 'missing inspection_id'
            when v_id !~ '^[0-9]{1,18}$' then 'inspection_id is not a whole number'
            when v_date is null then 'missing inspection_date'
            when not pg_input_is_valid(v_date, 'date') then 'inspection_date is not a date'
            when v_date::date > current_date then 'inspection_date is in the future'
            when v_date::date < date '1990-01-01' then 'inspection_date is before 1990'
            when v_license is not null and v_license !~ '^[0-9]{1,18}(\\.0*)?$'
                then 'license_number is not a whole number'
            when v_lat is not null and not pg_input_is_valid(v_lat, 'double precision')
                then 'latitude is not a number'
            when v_lon is not null and not pg_input_is_valid(v_lon, 'double precision')
                then 'longitude is not a number'
            when (v_lat is null) <> (v_lon is null) then 'only one of latitude and longitude is given'
            when v_lat is not null and (
                v_lat::double precision not between %(lat_min)s and %(lat_max)s
                or v_lon::double precision not between %(lon_min)s and %(lon_max)s
            ) then 'coordinates outside Chicago'
            when v_zip is not null and v_zip !~ '^[0-9]{5}(\\.0*|-[0-9]{4})?$'
                then 'zip is not a five-digit code'
        end as reject_reason
    from trimmed
)
select
    source_row,
    reject_reason,
    case when reject_reason is null then v_id::bigint end as inspection_id,
    case when reject_reason is null then v_license::numeric::bigint end as license_number,
    case when reject_reason is null then v_date::date end as inspection_date,
    case when reject_reason is null then v_lat::double precision end as latitude,
    case when reject_reason is null then v_lon::double precision end as longitude,
    v_zip as zip
from checked
"""

_REJECT_SQL = """
insert into meta.ingest_rejects (batch_id, source_row, reason, payload)
select %(batch_id)s, i.source_row, c.reject_reason, to_jsonb(i) - 'source_row'
from _incoming as i
inner join _checked as c on c.source_row = i.source_row
where c.reject_reason is not null
on conflict (batch_id, source_row) do nothing
"""

# Newest row of each inspection in this batch (last in source order), typed.
_TYPED_SQL = """
create temporary table _typed on commit drop as
select distinct on (c.inspection_id)
    c.inspection_id,
    {text_columns},
    c.zip,
    c.license_number,
    c.inspection_date,
    c.latitude,
    c.longitude
from _incoming as i
inner join _checked as c on c.source_row = i.source_row
where c.reject_reason is null
order by c.inspection_id, i.source_row desc
"""

_COLUMNS = list(CANONICAL_COLUMNS)

_UPSERT_SQL = """
with hashed as (
    select t.*, md5(row({columns})::text) as row_hash from _typed as t
),
superseded as (
    insert into raw.food_inspections_history
    select r.*, now(), %(batch_id)s
    from raw.food_inspections as r
    inner join hashed as h on h.inspection_id = r.inspection_id
    where r.row_hash <> h.row_hash
    returning 1
),
upserted as (
    insert into raw.food_inspections ({columns}, row_hash, batch_id)
    select {columns}, row_hash, %(batch_id)s from hashed
    on conflict (inspection_id) do update set
        {updates},
        row_hash = excluded.row_hash,
        batch_id = excluded.batch_id,
        loaded_at = now()
    where raw.food_inspections.row_hash <> excluded.row_hash
    returning (xmax = 0) as is_insert
)
select
    count(*) filter (where is_insert),
    count(*) filter (where not is_insert),
    (select count(*) from superseded)
from upserted
"""


def _to_csv_chunks(tables: Iterable[pa.Table]) -> Iterable[bytes]:
    """Canonical string tables as CSV bytes with a leading source_row column."""
    offset = 0
    for table in tables:
        columns = [
            table.column(c).cast(pa.string())
            if c in table.column_names
            else pa.nulls(table.num_rows, pa.string())
            for c in CANONICAL_COLUMNS
        ]
        rows = pa.array(range(offset, offset + table.num_rows), pa.int32())
        out = pa.table([rows, *columns], names=["source_row", *CANONICAL_COLUMNS])
        offset += table.num_rows
        buffer = io.BytesIO()
        pacsv.write_csv(
            out, buffer, pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        )
        yield buffer.getvalue()


def load_tables(
    conn: psycopg.Connection, tables: Iterable[pa.Table], batch_id: uuid.UUID
) -> LoadResult:
    """Load canonical string tables as one batch. Runs in the caller's transaction."""
    result = LoadResult()
    conn.execute("set local datestyle = 'ISO, MDY'")
    # `on commit drop` does not fire inside a savepoint; start clean whatever the caller's nesting.
    conn.execute("drop table if exists _incoming, _checked, _typed")
    conn.execute(
        sql.SQL("create temporary table _incoming (source_row integer, {}) on commit drop").format(
            sql.SQL(", ").join(
                sql.SQL("{} text").format(sql.Identifier(c)) for c in CANONICAL_COLUMNS
            )
        )
    )
    with conn.cursor() as cur, cur.copy("copy _incoming from stdin (format csv)") as copy:
        for chunk in _to_csv_chunks(tables):
            for start in range(0, len(chunk), _COPY_CHUNK):
                copy.write(chunk[start : start + _COPY_CHUNK])
    result.rows_landed = conn.execute("select count(*) from _incoming").fetchone()[0]

    conn.execute(_CHECK_SQL, CHICAGO_BBOX)
    conn.execute(_REJECT_SQL, {"batch_id": batch_id})
    result.rows_rejected = conn.execute(
        "select count(*) from _checked where reject_reason is not null"
    ).fetchone()[0]

    text_columns = sql.SQL(", ").join(
        sql.SQL("i.{0} as {0}").format(sql.Identifier(c)) for c in _TEXT_COLUMNS
    )
    conn.execute(sql.SQL(_TYPED_SQL).format(text_columns=text_columns))
    distinct = conn.execute("select count(*), max(inspection_date)::text from _typed").fetchone()
    result.rows_duplicate = result.rows_landed - result.rows_rejected - distinct[0]
    result.max_inspection_date = distinct[1]

    columns = sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c))
        for c in _COLUMNS
        if c != "inspection_id"
    )
    inserted, updated, _ = conn.execute(
        sql.SQL(_UPSERT_SQL).format(columns=columns, updates=updates), {"batch_id": batch_id}
    ).fetchone()
    result.rows_inserted, result.rows_updated = inserted, updated
    result.rows_unchanged = distinct[0] - inserted - updated
    if result.rows_rejected:
        reasons = conn.execute(
            "select reason, count(*) from meta.ingest_rejects where batch_id = %s group by reason order by 2 desc",
            [batch_id],
        ).fetchall()
        log.warning(
            "batch %s: %s rows quarantined: %s",
            batch_id,
            result.rows_rejected,
            json.dumps(dict(reasons)),
        )
    return result
