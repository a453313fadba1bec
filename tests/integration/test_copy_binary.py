"""The loader's binary COPY encoding, read back by a real Postgres: every type it writes, nulls,
empty text, dates on both sides of both epochs, sliced tables, and the errors of a wrong type."""

from __future__ import annotations

import math
import uuid
from datetime import date

import psycopg
import pyarrow as pa
import pytest

from warehouse import copy_binary

BATCH = uuid.UUID("12345678-1234-5678-1234-567812345678")
COLUMNS = "i bigint, f double precision, b boolean, d date, s text, u uuid"


def _table() -> pa.Table:
    table = pa.table(
        {
            "i": pa.array([1, None, -5, 2**62, 0], pa.int64()),
            "f": pa.array([1.5, -0.0, None, 41.884, float("nan")], pa.float64()),
            "b": pa.array([True, False, None, True, False]),
            "d": pa.array(
                [date(2000, 1, 1), date(1969, 12, 31), date(2025, 7, 4), None, date(1999, 12, 31)]
            ),
            "s": pa.array(["a", "", None, 'ünïcode, "quoted"\nline\\', "\t"]),
        }
    )
    return table.append_column("u", copy_binary.uuid_column(BATCH, table.num_rows))


def _copy_back(db: psycopg.Connection, table: pa.Table) -> list[tuple]:
    db.execute(f"create temporary table copied ({COLUMNS}) on commit drop")
    with db.cursor() as cur, cur.copy("copy copied from stdin (format binary)") as copy:
        copy.write(copy_binary.encode(table))
    return db.execute("select * from copied").fetchall()


def test_every_type_reads_back_as_written(db: psycopg.Connection) -> None:
    rows = _copy_back(db, _table())
    assert rows[:4] == [
        (1, 1.5, True, date(2000, 1, 1), "a", BATCH),
        (None, -0.0, False, date(1969, 12, 31), "", BATCH),
        (-5, None, None, date(2025, 7, 4), None, BATCH),
        (2**62, 41.884, True, None, 'ünïcode, "quoted"\nline\\', BATCH),
    ]
    assert rows[4][0] == 0 and math.isnan(rows[4][1]) and rows[4][3:5] == (date(1999, 12, 31), "\t")


def test_a_slice_encodes_only_its_rows(db: psycopg.Connection) -> None:
    table = pa.concat_tables([_table(), _table()]).slice(3, 4)
    rows = _copy_back(db, table)
    assert [r[0] for r in rows] == [2**62, 0, 1, None]


def test_no_rows_is_a_valid_stream(db: psycopg.Connection) -> None:
    assert _copy_back(db, _table().slice(0, 0)) == []


def test_an_arrow_type_without_encoding_names_its_column() -> None:
    with pytest.raises(TypeError, match="column when: no binary COPY encoding"):
        copy_binary.encode(pa.table({"when": pa.array([1], pa.timestamp("s"))}))


def test_a_column_of_another_type_is_the_servers_error(db: psycopg.Connection) -> None:
    db.execute("create temporary table narrow (n integer) on commit drop")
    with (
        pytest.raises(
            psycopg.errors.InvalidBinaryRepresentation, match="COPY narrow, line 1, column n"
        ),
        db.cursor() as cur,
        cur.copy("copy narrow from stdin (format binary)") as copy,
    ):
        copy.write(copy_binary.encode(pa.table({"n": pa.array([7], pa.int64())})))
