"""A Socrata export on disk or at any fsspec URL as a source of canonical string tables.

Reads the portal's CSV export and copies of it with other header spellings (API field names,
snake_case, CamelCase: `warehouse.datasets.canonical_name` folds them), optionally compressed (`.gz`, `.bz2`,
`.xz`, `.zip`), and JSON: a list of API records, the portal's `rows.json` (`meta` + `data`), or
JSON lines. Nothing is coerced: every value stays the string the file holds (no NA guessing), except
that ISO timestamps in `inspection_date` become 'YYYY-MM-DD'; 'MM/DD/YYYY' is left for the loader.
CSV streams in chunks, so a large export never sits in memory whole.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlsplit

import fsspec
import httpx
import pandas as pd
from fsspec.compression import compr
from fsspec.utils import infer_compression

from flows.sources.socrata import normalise_date, records_to_frame
from warehouse.datasets import CANONICAL_COLUMNS, canonical_name

log = logging.getLogger(__name__)

DEFAULT_CHUNKSIZE = 50_000
_COMPRESSIONS = {".gz", ".bz2", ".xz", ".zip"}
_HTTP_CHUNK = 1 << 20

ExportFormat = Literal["csv", "json", "jsonl"]


class ExportFormatError(ValueError):
    """The file is not a Food Inspections export we can read; the message names the file."""


def detect_format(path_or_url: str | Path) -> ExportFormat:
    """'csv', 'json' or 'jsonl' from the name, looking through a compression suffix."""
    suffixes = [s.lower() for s in Path(urlsplit(str(path_or_url)).path).suffixes]
    while suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    if last in {".jsonl", ".ndjson"}:
        return "jsonl"
    if last == ".json":
        return "json"
    return "csv"


def column_mapping(headers: list[str], source: str) -> dict[str, str]:
    """Source header -> canonical column; the first header wins when two mean the same column."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    ignored = []
    for header in headers:
        name = canonical_name(str(header))
        if name is None or name in taken:
            ignored.append(header)
            continue
        mapping[header] = name
        taken.add(name)
    if "inspection_id" not in taken:
        raise ExportFormatError(
            f"{source}: no inspection id column among the headers {headers[:30]!r}; "
            "expected one of 'Inspection ID', 'inspection_id', 'InspectionID'"
        )
    if ignored:
        log.info("%s: ignoring columns %s", source, ignored)
    missing = [c for c in CANONICAL_COLUMNS if c not in taken]
    if missing:
        log.info("%s: columns absent, read as empty: %s", source, missing)
    return mapping


def _canonical_chunk(chunk: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    renamed = chunk[list(mapping)].rename(columns=mapping)
    out = pd.DataFrame(
        {c: renamed.get(c, "") for c in CANONICAL_COLUMNS},
        index=range(len(chunk)),
        columns=list(CANONICAL_COLUMNS),
    )
    out = out.astype(object)
    out["inspection_date"] = out["inspection_date"].map(normalise_date)
    return out


@contextmanager
def _open(path_or_url: str | Path) -> Iterator[IO[bytes]]:
    """A binary handle on the (decompressed) file.

    http(s) is fetched with httpx into a temporary file rather than through fsspec, whose HTTP
    driver needs aiohttp; the compression is inferred from the URL's path, ignoring its query.
    """
    location = str(path_or_url)
    parts = urlsplit(location)
    if parts.scheme not in {"http", "https"}:
        with fsspec.open(location, mode="rb", compression="infer") as handle:
            yield handle
        return
    compression = infer_compression(parts.path)
    with tempfile.TemporaryFile() as spool:
        with httpx.stream("GET", location, follow_redirects=True, timeout=120.0) as response:
            response.raise_for_status()
            for block in response.iter_bytes(_HTTP_CHUNK):
                spool.write(block)
        spool.seek(0)
        if compression is None:
            yield spool
            return
        with compr[compression](spool, mode="rb") as handle:
            yield handle


def _read_csv(path_or_url: str | Path, chunksize: int) -> Iterator[pd.DataFrame]:
    source = str(path_or_url)
    with _open(path_or_url) as handle:
        try:
            reader = pd.read_csv(
                handle,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding="utf-8-sig",
                chunksize=chunksize,
            )
        except pd.errors.EmptyDataError as error:
            raise ExportFormatError(f"{source}: empty file, no header row") from error
        mapping: dict[str, str] | None = None
        for chunk in reader:
            if mapping is None:
                mapping = column_mapping(list(chunk.columns), source)
            yield _canonical_chunk(chunk.reset_index(drop=True), mapping)
        if mapping is None:
            raise ExportFormatError(f"{source}: empty file, no header row")


def _rows_json_records(payload: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    """The portal's `rows.json`: column metadata in `meta.view.columns`, rows as lists in `data`."""
    try:
        columns = payload["meta"]["view"]["columns"]
        names = [c.get("fieldName") or c.get("name") for c in columns]
    except (KeyError, TypeError) as error:
        raise ExportFormatError(f"{source}: a JSON object without meta.view.columns") from error
    return [dict(zip(names, row, strict=False)) for row in payload.get("data", [])]


def _json_records(handle: IO[bytes], fmt: ExportFormat, source: str) -> list[dict[str, Any]]:
    if fmt == "jsonl":
        return [json.loads(line) for line in handle if line.strip()]
    try:
        payload = json.load(handle)
    except json.JSONDecodeError as error:
        raise ExportFormatError(f"{source}: not valid JSON ({error})") from error
    if isinstance(payload, dict):
        return _rows_json_records(payload, source)
    if not isinstance(payload, list):
        raise ExportFormatError(f"{source}: JSON is neither a list of records nor rows.json")
    return payload


def _read_json(
    path_or_url: str | Path, fmt: ExportFormat, chunksize: int
) -> Iterator[pd.DataFrame]:
    source = str(path_or_url)
    with _open(path_or_url) as handle:
        records = _json_records(handle, fmt, source)
    headers = list(dict.fromkeys(k for r in records[:1000] for k in r if not k.startswith(":")))
    if records:
        column_mapping(headers, source)  # fails early, naming the file, without an id column
    for start in range(0, len(records), chunksize):
        yield records_to_frame(records[start : start + chunksize])


def read_export(
    path_or_url: str | Path,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    fmt: ExportFormat | None = None,
) -> Iterator[pd.DataFrame]:
    """Canonical all-string frames of an export, `chunksize` rows at a time.

    `fmt` overrides the format guessed from the name (useful for URLs such as
    `.../rows.csv?accessType=DOWNLOAD`, which are guessed right anyway). Raises `ExportFormatError`
    naming the file when no inspection id column can be found.
    """
    if chunksize <= 0:
        raise ValueError(f"chunksize must be positive, got {chunksize}")
    fmt = fmt or detect_format(path_or_url)
    log.info("reading %s export %s", fmt, path_or_url)
    if fmt == "csv":
        yield from _read_csv(path_or_url, chunksize)
    else:
        yield from _read_json(path_or_url, fmt, chunksize)
