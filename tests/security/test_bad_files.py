"""Findings 3 and 5 of the hardening review: one bad byte lost the whole file, and values were
silently changed.

A CSV of good rows with one invalid UTF-8 byte failed with UnicodeDecodeError, one row of 20
fields with ParserError, and no good row loaded; a NUL truncated a field without a reject; a bare
CR inside a quoted field split one record into two rejects with the wrong reasons; short rows and
unbalanced quotes were "missing inspection_date"; the valid id 9223372036854775807 was "not a whole
number". Each case is now one quarantined row whose reason names the real fault.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from prefect.states import Completed, Failed

from flows.ingest import land as land_task
from flows.ingest import worth_retrying
from flows.sources.demo import generate_inspections, write_export_csv
from flows.sources.files import ExportFormatError, read_export
from warehouse import landing
from warehouse.load import load_tables

pytestmark = pytest.mark.security

GOOD_ROWS = 120


@pytest.fixture(scope="module")
def good_lines(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    path = write_export_csv(
        generate_inspections(40, seed=9).head(GOOD_ROWS),
        tmp_path_factory.mktemp("export") / "good.csv",
    )
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == GOOD_ROWS + 1 and all(b"\r" not in line for line in lines)
    return lines


def _bad_row(good: bytes, inspection_id: str, fix) -> bytes:
    fields = good.rstrip(b"\n").split(b",", 1)
    return fix(inspection_id.encode() + b"," + fields[1]) + b"\n"


CASES = {
    # inspection_id: (how the row is broken, the reason it must be quarantined with)
    "8000001": (lambda r: r.replace(b",", b",caf\xe9 ", 1), "invalid UTF-8 byte 0xe9 in column 'DBA Name'"),
    "8000002": (lambda r: r.rstrip(b"\n") + b",x,y,z", "row has 20 fields, the header has 17"),
    "8000003": (lambda r: r.replace(b",", b",NUL\x00INSIDE", 1), "NUL byte in column 'DBA Name'"),
    "8000004": (lambda r: r.replace(b",", b',"FIRST\rSECOND"', 1).replace(b'"",', b'",', 1), "stray carriage return in column 'DBA Name'"),
    "8000005": (lambda r: b",".join(r.split(b",")[:5]), "row has 5 fields, the header has 17"),
    "8000006": (lambda r: r.replace(b",", b',"UNCLOSED ', 1), "unbalanced quote: the row's quoted field never closes"),
}  # fmt: skip


@pytest.fixture
def clean(db: psycopg.Connection) -> psycopg.Connection:
    db.execute("truncate raw.food_inspections, raw.food_inspections_history, meta.ingest_rejects")
    db.commit()
    return db


def _load(conn: psycopg.Connection, path: Path, tmp_path: Path):
    landed = landing.land(read_export(path, chunksize=40), str(tmp_path / "landing"), uuid.uuid4())
    batch = uuid.uuid4()
    conn.execute("insert into meta.ingest_batches (batch_id, source) values (%s, 'test')", [batch])
    with conn.transaction():
        result = load_tables(conn, landing.read_batch(landed.url, landed.sha256), batch)
    return batch, result


def test_each_bad_row_costs_only_itself_with_its_real_fault(
    clean: psycopg.Connection, good_lines: list[bytes], tmp_path: Path
) -> None:
    header, rows = good_lines[0], good_lines[1:]
    out = [header]
    bad_at = {}
    for i, row in enumerate(rows):  # a bad row after every 15th good one
        out.append(row)
        if i % 15 == 7 and len(bad_at) < len(CASES):
            inspection_id = sorted(CASES)[len(bad_at)]
            out.append(_bad_row(row, inspection_id, CASES[inspection_id][0]))
            bad_at[inspection_id] = len(out)
    assert len(bad_at) == len(CASES)
    # the largest id bigint holds is a valid id, not "not a whole number"
    out.append(_bad_row(rows[0], "9223372036854775807", lambda r: r))
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(out))

    batch, result = _load(clean, path, tmp_path)
    assert result.rows_rejected == len(CASES)
    assert result.rows_inserted == GOOD_ROWS + 1  # every good row, and the big id
    reasons = clean.execute(
        "select reason, payload from meta.ingest_rejects where batch_id = %s order by source_row",
        [batch],
    ).fetchall()
    by_id = {payload["inspection_id"]: reason for reason, payload in reasons}
    assert by_id == {i: reason for i, (_, reason) in CASES.items()}
    # the payload keeps what the file held, readable: the invalid byte as U+FFFD, the NUL marked
    payloads = {p["inspection_id"]: p for _, p in reasons}
    assert payloads["8000001"]["dba_name"].startswith("caf\ufffd")
    assert "NUL\u2400INSIDE" in payloads["8000003"]["dba_name"]
    assert clean.execute(
        "select count(*) from raw.food_inspections where inspection_id = 9223372036854775807"
    ).fetchone() == (1,)


def test_a_bad_last_row_and_a_bom_header(clean: psycopg.Connection, good_lines, tmp_path) -> None:
    path = tmp_path / "bom.csv"
    unterminated = _bad_row(good_lines[1], "8000009", lambda r: r.replace(b",", b',"OPEN', 1))
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(good_lines[:11]) + unterminated.rstrip(b"\n"))
    _, result = _load(clean, path, tmp_path)
    assert (result.rows_inserted, result.rows_rejected) == (10, 1)


def test_deterministic_failures_are_not_retried() -> None:
    from flows.ingest import RETRY_POLICIES
    from flows.sources.socrata import SourceRequestRejected, SourceUnavailable

    assert land_task.retry_condition_fn is worth_retrying
    assert RETRY_POLICIES["file"].retries == 1 and RETRY_POLICIES["socrata"].retries == 0
    for error in (
        FileNotFoundError("gone.csv"),
        ExportFormatError("no id column"),
        SourceUnavailable("http://x/resource/y.json", "refused", 9, 180.0),
        SourceRequestRejected("http://x/resource/y.json", 400, "bad query"),
    ):
        assert not worth_retrying(land_task, None, Failed(data=error))
    for error in (ConnectionError("reset"), TimeoutError("slow")):
        assert worth_retrying(land_task, None, Failed(data=error))
    assert worth_retrying(land_task, None, Completed())
