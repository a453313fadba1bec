"""The file source on the real exports in ../shared/data and on small JSON exports written here."""

from __future__ import annotations

import csv
import functools
import gzip
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import fsspec
import httpx
import pandas as pd
import pytest

from flows.sources.files import ExportFormatError, detect_format, read_export
from warehouse.datasets import CANONICAL_COLUMNS, FAULT_COLUMN, canonical_name

SAMPLES = [
    "samples_with_violations/csv_export_2010-2020.csv",
    "samples_with_violations/api_field_names_2010-2016.csv",
    "samples_with_violations/camelcase_headers_2010-01_2010-05.csv",
    "chicago_union_2010-2025.csv.gz",
]


def _raw_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows read independently with the csv module, keyed by canonical name."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        names = [canonical_name(h) for h in next(reader)]
        return [{n: v for n, v in zip(names, row, strict=True) if n} for row in reader]


@pytest.mark.parametrize("relative", SAMPLES)
def test_real_exports_read_whole_and_unchanged(shared_data: Path, relative: str) -> None:
    path = shared_data / relative
    raw = _raw_rows(path)
    chunks = list(read_export(path, chunksize=20_000 if relative.endswith(".gz") else 250))
    frame = pd.concat(chunks, ignore_index=True)

    assert len(frame) == len(raw)
    assert len(chunks) == -(-len(raw) // (20_000 if relative.endswith(".gz") else 250))
    assert list(frame["inspection_id"]) == [r["inspection_id"] for r in raw]
    assert list(frame.columns) == [*CANONICAL_COLUMNS, FAULT_COLUMN]
    assert all(frame[c].map(type).eq(str).all() for c in CANONICAL_COLUMNS)
    assert frame[FAULT_COLUMN].isna().all()  # the real files have no unreadable row
    # Every value is the file's own text (nothing coerced to float or NaN), dates included.
    for column in (
        "license_number",
        "zip",
        "latitude",
        "violations",
        "dba_name",
        "inspection_date",
    ):
        assert list(frame[column]) == [r.get(column, "") for r in raw], column


def test_header_spellings_all_find_the_columns(shared_data: Path) -> None:
    for relative in SAMPLES:
        frame = next(read_export(shared_data / relative, chunksize=50))
        filled = {c for c in CANONICAL_COLUMNS if (frame[c] != "").any()}
        # aka_name, violations and location may be blank in a 50-row chunk; the rest never are.
        required = set(CANONICAL_COLUMNS) - {"aka_name", "violations", "location"}
        assert required <= filled, (relative, required - filled)


def test_license_and_zip_keep_the_files_spelling(shared_data: Path) -> None:
    path = shared_data / "samples_with_violations/api_field_names_2010-2016.csv"
    first = next(read_export(path, chunksize=5))
    assert first.loc[0, "license_number"] == "2215978.0"  # the loader accepts a trailing .0
    assert first.loc[0, "inspection_date"] == "10/18/2016"


def _records() -> list[dict[str, object]]:
    return [
        {
            "inspection_id": "2500001",
            "dba_name": "JSON CAFE",
            "license_": "123",
            "inspection_date": "2021-03-04T00:00:00.000",
            "results": "Pass",
            "location": {"latitude": "41.9", "longitude": "-87.6"},
            "new_column": "ignored",
        },
        {"inspection_id": "2500002", "inspection_date": "bad-date", "results": "Fail"},
    ]


def _check_json_frame(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(CANONICAL_COLUMNS)
    assert list(frame["inspection_id"]) == ["2500001", "2500002"]
    assert list(frame["inspection_date"]) == ["2021-03-04", "bad-date"]
    assert frame.loc[0, "license_number"] == "123"
    assert frame.loc[0, "location"] == "(41.9, -87.6)"
    assert frame.loc[1, "dba_name"] == ""


def test_json_list_export(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_records()))
    _check_json_frame(pd.concat(read_export(path), ignore_index=True))


def test_json_lines_export_gzipped(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in _records())
    chunks = list(read_export(path, chunksize=1))
    assert len(chunks) == 2
    _check_json_frame(pd.concat(chunks, ignore_index=True))


def test_portal_rows_json_export(tmp_path: Path) -> None:
    names = ["inspection_id", "dba_name", "license_", "inspection_date", "results", "location"]
    payload = {
        "meta": {"view": {"columns": [{"fieldName": n, "name": n.title()} for n in names]}},
        "data": [[r.get(n) for n in names] for r in _records()],
    }
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(payload))
    _check_json_frame(pd.concat(read_export(path), ignore_index=True))


def test_any_fsspec_url(shared_data: Path) -> None:
    source = shared_data / "samples_with_violations/csv_export_2010-2020.csv"
    url = "memory://canvass-test/export.csv"
    with fsspec.open(url, "wb") as handle:
        handle.write(source.read_bytes())
    try:
        from_memory = pd.concat(read_export(url), ignore_index=True)
    finally:
        fsspec.filesystem("memory").rm("canvass-test", recursive=True)
    from_disk = pd.concat(read_export(f"file://{source}"), ignore_index=True)
    pd.testing.assert_frame_equal(from_memory, from_disk)
    assert len(from_disk) == 561


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on loopback, and its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_export_over_http(shared_data: Path, http_dir: tuple[Path, str]) -> None:
    directory, base = http_dir
    source = shared_data / "samples_with_violations/csv_export_2010-2020.csv"
    (directory / "rows.csv").write_bytes(source.read_bytes())
    (directory / "rows.csv.gz").write_bytes(gzip.compress(source.read_bytes()))
    expected = pd.concat(read_export(source), ignore_index=True)

    plain = pd.concat(read_export(f"{base}/rows.csv?accessType=DOWNLOAD"), ignore_index=True)
    packed = pd.concat(read_export(f"{base}/rows.csv.gz", chunksize=100), ignore_index=True)
    pd.testing.assert_frame_equal(plain, expected)
    pd.testing.assert_frame_equal(packed, expected)
    with pytest.raises(httpx.HTTPStatusError, match="404"):
        list(read_export(f"{base}/missing.csv"))


def test_missing_id_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not_inspections.csv"
    path.write_text("Name,Address\nA,1 Main St\n")
    with pytest.raises(ExportFormatError, match="not_inspections.csv"):
        list(read_export(path))
    json_path = tmp_path / "records.json"
    json_path.write_text(json.dumps([{"name": "A"}]))
    with pytest.raises(ExportFormatError, match="records.json"):
        list(read_export(json_path))


def test_header_only_file_yields_no_rows_and_an_empty_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "header_only.csv"
    path.write_text("Inspection ID,DBA Name\n")
    assert sum(len(f) for f in read_export(path)) == 0
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ExportFormatError, match="empty.csv"):
        list(read_export(empty))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "csv"),
        ("a.csv.gz", "csv"),
        ("https://data.cityofchicago.org/api/views/4ijn-s7e5/rows.csv?accessType=DOWNLOAD", "csv"),
        ("s3://bucket/x/rows.json", "json"),
        ("a.json.bz2", "json"),
        ("a.ndjson", "jsonl"),
    ],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format(name) == expected
