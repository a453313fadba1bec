"""The loader against a real Postgres: typing, quarantine with reasons, idempotency, corrections."""

from __future__ import annotations

import uuid

import pandas as pd
import psycopg
import pyarrow as pa
import pytest

from warehouse.landing import LANDED_COLUMNS, as_table
from warehouse.load import load_tables, raw_checksum

GOOD = {
    "inspection_id": "9000001",
    "dba_name": "TEST DINER",
    "aka_name": "",
    "license_number": "1234567.0",
    "facility_type": "Restaurant",
    "risk": "Risk 1 (High)",
    "address": "100 W RANDOLPH ST ",
    "city": "CHICAGO",
    "state": "IL",
    "zip": "60601",
    "inspection_date": "03/15/2019",
    "inspection_type": "Canvass",
    "results": "Pass",
    "violations": "",
    "latitude": "41.884",
    "longitude": "-87.631",
    "location": "(41.884, -87.631)",
}


def _row(**changes: str) -> dict[str, str]:
    return GOOD | changes


def _load(conn: psycopg.Connection, rows: list[dict[str, str]]):
    batch = uuid.uuid4()
    conn.execute("insert into meta.ingest_batches (batch_id, source) values (%s, 'test')", [batch])
    with conn.transaction():
        result = load_tables(conn, [as_table(pd.DataFrame(rows))], batch)
    return batch, result


@pytest.fixture
def clean(db: psycopg.Connection) -> psycopg.Connection:
    db.execute("truncate raw.food_inspections, raw.food_inspections_history, meta.ingest_rejects")
    db.commit()
    return db


def test_malformed_rows_are_quarantined_with_reasons_and_good_rows_load(clean):
    rows = [
        _row(),
        _row(inspection_id=""),
        _row(inspection_id="9000003", inspection_date="31/31/2019"),
        _row(inspection_id="9000004", latitude="forty-one"),
        _row(inspection_id="9000005", license_number="ABC"),
        _row(inspection_id="9000006", inspection_date="2019-03-16"),
        _row(inspection_id="9000007", inspection_date="01/01/2999"),
        _row(inspection_id="9000008", latitude="0", longitude="0", zip="0"),
        _row(inspection_id="9000009", latitude="51.5", longitude="-0.12"),
    ]
    batch, result = _load(clean, rows)
    assert result.rows_landed == 9
    assert result.rows_rejected == 6
    assert result.rows_inserted == 3
    reasons = dict(
        clean.execute(
            "select payload->>'inspection_id', reason from meta.ingest_rejects where batch_id = %s",
            [batch],
        ).fetchall()
    )
    assert reasons == {
        "": "missing inspection_id",
        "9000003": "inspection_date is not a date",
        "9000004": "latitude is not a number",
        "9000005": "license_number is not a whole number",
        "9000007": "inspection_date is in the future",
        "9000009": "coordinates outside Chicago",
    }
    # The original payload is kept whole, so nothing is lost.
    payload = clean.execute(
        "select payload from meta.ingest_rejects where reason = 'latitude is not a number'"
    ).fetchone()[0]
    assert payload["latitude"] == "forty-one" and set(payload) == set(LANDED_COLUMNS)
    typed = clean.execute(
        "select license_number, inspection_date::text, latitude, zip from raw.food_inspections "
        "order by inspection_id"
    ).fetchall()
    assert typed == [
        (1234567, "2019-03-15", 41.884, "60601"),
        (1234567, "2019-03-16", 41.884, "60601"),
        (1234567, "2019-03-15", None, None),  # 0 is the source's "unknown", not a place
    ]


def test_same_batch_twice_changes_nothing(clean):
    rows = [_row(inspection_id=str(9100000 + i)) for i in range(50)]
    _load(clean, rows)
    before = raw_checksum(clean)
    _, again = _load(clean, rows)
    after = raw_checksum(clean)
    assert before == after
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 50)


def test_known_rows_are_recognised_by_their_digest_and_rows_without_one_get_it(clean):
    """A reload finds unchanged rows by (key, digest) without sending them to compare; rows
    stored before digests existed (row_digest null) are compared in full once and given one, and
    a changed value is still a correction even beside unchanged rows."""
    rows = [_row(inspection_id=str(9200000 + i)) for i in range(20)]
    batch, _ = _load(clean, rows)
    digests = dict(clean.execute("select inspection_id, row_digest from raw.food_inspections"))
    assert len(digests) == 20 and None not in digests.values()
    assert len(set(digests.values())) == 20  # the key is part of the row
    clean.execute("update raw.food_inspections set row_digest = null where inspection_id < 9200005")
    rows[7] = rows[7] | {"results": "Fail"}
    _, again = _load(clean, rows)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 1, 19)
    after = dict(clean.execute("select inspection_id, row_digest from raw.food_inspections"))
    assert {k: v for k, v in after.items() if k != 9200007} == {
        k: v for k, v in digests.items() if k != 9200007
    }  # the five without a digest got the same one back, unchanged rows kept theirs
    assert after[9200007] != digests[9200007]
    history = clean.execute("select inspection_id, results from raw.food_inspections_history")
    assert history.fetchall() == [(9200007, "Pass")]
    unchanged = clean.execute(
        "select count(*) from raw.food_inspections where batch_id = %s", [batch]
    ).fetchone()[0]
    assert unchanged == 19  # rows compared in full and found equal keep their batch


@pytest.mark.parametrize("snapshot_rows", [10**9, 1], ids=["lookups", "snapshot"])
def test_a_reload_in_parts_sorts_rows_alike_by_lookups_or_by_one_read_of_raw(
    clean, monkeypatch, snapshot_rows
):
    """From the second large table of a batch on, raw's keys and digests are read once and
    matched in Arrow instead of looked up per table (`_SNAPSHOT_ROWS`): the outcome is the same.
    Here the later tables hold unchanged rows, a correction, a row without a digest, new rows and
    a repeat of a key the first table wrote."""
    monkeypatch.setattr("warehouse.load._SNAPSHOT_ROWS", snapshot_rows)
    _load(clean, [_row(inspection_id=str(9400000 + i)) for i in range(30)])
    clean.execute("update raw.food_inspections set row_digest = null where inspection_id = 9400011")
    first = as_table(pd.DataFrame([_row(inspection_id=str(9400000 + i)) for i in range(10)]))
    second = as_table(
        pd.DataFrame(
            [_row(inspection_id=str(9400000 + i)) for i in range(10, 20)]
            + [_row(inspection_id="9400012", results="Fail"), _row(inspection_id="9400100")]
        )
    )
    third = as_table(
        pd.DataFrame(
            [_row(inspection_id=str(9400000 + i)) for i in range(20, 30)]
            + [_row(inspection_id="9400101"), _row(inspection_id="9400100", results="Fail")]
        )
    )
    batch = uuid.uuid4()
    clean.execute("insert into meta.ingest_batches (batch_id, source) values (%s, 'test')", [batch])
    with clean.transaction():
        result = load_tables(clean, [first, second, third], batch)
    assert (result.rows_inserted, result.rows_updated, result.rows_duplicate) == (2, 1, 2)
    assert result.rows_unchanged == 29
    rows = dict(clean.execute("select inspection_id, results from raw.food_inspections"))
    assert len(rows) == 32 and rows[9400012] == "Fail" and rows[9400100] == "Fail"
    assert clean.execute(
        "select count(*) from raw.food_inspections where row_digest is null"
    ).fetchone() == (0,)
    history = clean.execute(
        "select inspection_id, results from raw.food_inspections_history order by 1"
    )
    # the repeat's first version, inserted by this batch, is kept too (as in every load)
    assert history.fetchall() == [(9400012, "Pass"), (9400100, "Pass")]


def test_a_correction_updates_the_row_and_keeps_the_old_version(clean):
    _load(clean, [_row()])
    _, result = _load(clean, [_row(results="Fail")])
    assert (result.rows_inserted, result.rows_updated) == (0, 1)
    assert clean.execute("select results from raw.food_inspections").fetchone() == ("Fail",)
    assert clean.execute("select results from raw.food_inspections_history").fetchall() == [
        ("Pass",)
    ]


def test_duplicates_within_a_batch_keep_the_last_version(clean):
    _, result = _load(clean, [_row(), _row(results="Fail")])
    assert (result.rows_inserted, result.rows_duplicate) == (1, 1)
    assert clean.execute("select results from raw.food_inspections").fetchone() == ("Fail",)


def test_a_first_load_in_parts_keeps_the_last_version_of_a_key_repeated_across_them(clean):
    """Into an empty raw the known-key lookups are skipped: a key of the first part repeated in
    the second is a repeat, settled like any other (the last version wins)."""
    first = as_table(pd.DataFrame([_row(), _row(inspection_id="9300001")]))
    second = as_table(pd.DataFrame([_row(results="Fail"), _row(inspection_id="9300002")]))
    batch = uuid.uuid4()
    clean.execute("insert into meta.ingest_batches (batch_id, source) values (%s, 'test')", [batch])
    with clean.transaction():
        result = load_tables(clean, [first, second], batch)
    assert (result.rows_inserted, result.rows_duplicate, result.rows_updated) == (3, 1, 0)
    rows = clean.execute("select inspection_id, results from raw.food_inspections order by 1")
    assert rows.fetchall() == [(9000001, "Fail"), (9300001, "Pass"), (9300002, "Pass")]


def test_missing_columns_load_as_nulls(clean):
    table = as_table(pd.DataFrame([{k: v for k, v in GOOD.items() if k != "violations"}]))
    assert isinstance(table, pa.Table)
    batch = uuid.uuid4()
    with clean.transaction():
        result = load_tables(clean, [table], batch)
    assert result.rows_inserted == 1
    assert clean.execute("select violations from raw.food_inspections").fetchone() == (None,)
