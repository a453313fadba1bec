"""A Socrata export on disk or at any fsspec URL as a source of canonical string tables.

Reads the portal's CSV export and copies of it with other header spellings (API field names,
snake_case, CamelCase: `warehouse.datasets.canonical_name` folds them), optionally compressed (`.gz`, `.bz2`,
`.xz`, `.zip`), and JSON: a list of API records, the portal's `rows.json` (`meta` + `data`), or
JSON lines. Nothing is coerced: every value stays the string the file holds (no NA guessing), except
that ISO timestamps in `inspection_date` become 'YYYY-MM-DD'; 'MM/DD/YYYY' is left for the loader.
CSV streams in chunks, so a large export never sits in memory whole, and one bad row costs one row:
an invalid UTF-8 byte, a NUL byte, a stray carriage return, too few or too many fields, or an
unbalanced quote marks that row with a reason in the `source_fault` column (the loader quarantines
it with that reason) and the rest of the file loads.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import re
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
from warehouse.datasets import FAULT_COLUMN, FOOD_INSPECTIONS, Dataset

log = logging.getLogger(__name__)

DEFAULT_CHUNKSIZE = 50_000
_COMPRESSIONS = {".gz", ".bz2", ".xz", ".zip"}
_HTTP_CHUNK = 1 << 20

ExportFormat = Literal["csv", "json", "jsonl"]


class ExportFormatError(ValueError):
    """The file is not an export of the dataset we can read; the message names the file."""


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


def column_mapping(
    headers: list[str], source: str, dataset: Dataset = FOOD_INSPECTIONS
) -> dict[str, str]:
    """Source header -> canonical column; the first header wins when two mean the same column."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    ignored = []
    for header in headers:
        name = dataset.canonical_name(str(header))
        if name is None or name in taken:
            ignored.append(header)
            continue
        mapping[header] = name
        taken.add(name)
    if dataset.key not in taken:
        spellings = [h for h, c in dataset.export_headers.items() if c == dataset.key]
        expected = ", ".join(repr(s) for s in [*spellings, dataset.key])
        what = dataset.key.replace("_", " ")
        raise ExportFormatError(
            f"{source}: no {what} column among the headers {headers[:30]!r}; "
            f"expected one of {expected} (is this a {dataset.name} file?)"
        )
    if ignored:
        log.info("%s: ignoring columns %s", source, ignored)
    missing = [c for c in dataset.columns if c not in taken]
    if missing:
        log.info("%s: columns absent, read as empty: %s", source, missing)
    return mapping


def _canonical_chunk(
    chunk: pd.DataFrame, mapping: dict[str, str], dataset: Dataset = FOOD_INSPECTIONS
) -> pd.DataFrame:
    renamed = chunk[list(mapping)].rename(columns=mapping)
    out = pd.DataFrame(
        {c: renamed.get(c, "") for c in dataset.columns},
        index=range(len(chunk)),
        columns=list(dataset.columns),
    )
    out = out.astype(object)
    for c in dataset.date_columns:
        out[c] = out[c].map(normalise_date)
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


NUL_MARK = "\u2400"  # SYMBOL FOR NULL: where the file had a NUL byte (the csv module refuses them)


class _Lines:
    """The file's physical lines for the csv module, with push-back, and a record of the lines
    each parsed record was read from (so a record that swallowed its neighbours can be undone)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending: list[str] = []
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pending.pop() if self._pending else next(self._text)
        line = line.replace("\x00", NUL_MARK)
        self.taken.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        self._pending.extend(reversed(lines))


def _clean_field(value: str) -> str:
    """Invalid UTF-8 bytes (kept as surrogates while parsing) as U+FFFD, so the row can be stored."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_INVALID_BYTE = re.compile("[\udc80-\udcff]")
# What a line must hold for a field of it to be at fault; most lines hold none, so most rows are
# never looked at field by field. The line's own ending is not a stray carriage return.
_SUSPECT = re.compile("[\udc80-\udcff\u2400]|\r(?!\n?$)")
_ENDS_IN_BARE_CR = re.compile("\r$")


def _field_faults(fields: list[str], header: list[str]) -> list[str]:
    faults = []
    for name, value in zip(header, fields, strict=False):
        bad = _INVALID_BYTE.search(value)
        if bad:
            faults.append(
                f"invalid UTF-8 byte 0x{ord(bad.group()) - 0xDC00:02x} in column {name!r}"
            )
        if NUL_MARK in value:
            faults.append(f"NUL byte in column {name!r}")
        if "\r" in value.replace("\r\n", ""):
            faults.append(f"stray carriage return in column {name!r}")
    return faults


def _records(text: IO[str], source: str) -> Iterator[tuple[list[str], str | None]]:
    """(fields, fault) for every record after the header; the header first, with no fault.

    One bad record costs one record: an unbalanced quote that made the parser read on into the next
    lines is undone (that line is the bad record; the lines after it are parsed again), and a row
    with too few or too many fields, an invalid byte, a NUL or a stray carriage return is returned
    with a reason naming the fault, never raised."""
    lines = _Lines(text)
    reader = csv.reader(lines)
    header: list[str] | None = None
    while True:
        lines.taken = []
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a field larger than the csv module allows
            yield [], f"unreadable row ({error})"
            continue
        if header is None:
            header = []
            for name in (_clean_field(h).lstrip("\ufeff") for h in fields):
                header.append(name if name not in header else f"{name}.{header.count(name)}")
            yield header, None
            continue
        if not fields and len(lines.taken) == 1 and not lines.taken[0].strip():
            continue  # a blank line
        if len(fields) != len(header) and len(lines.taken) > 1:
            first, rest = lines.taken[0], lines.taken[1:]
            lines.push_back(rest)
            fields = next(csv.reader([first]), [])
            fault = "unbalanced quote: the row's quoted field never closes"
        elif len(fields) != len(header):
            raw = "".join(lines.taken)
            fault = (
                "unbalanced quote: the row's quoted field never closes"
                if raw.count('"') % 2
                else f"row has {len(fields)} fields, the header has {len(header)}"
            )
        elif any(_SUSPECT.search(line) for line in lines.taken) or (
            len(lines.taken) > 1 and any(_ENDS_IN_BARE_CR.search(line) for line in lines.taken)
        ):
            faults = _field_faults(fields, header)
            fault = "; ".join(faults) if faults else None
        else:
            fault = None
        fields = [_clean_field(f) for f in fields][: len(header)]
        yield fields + [""] * (len(header) - len(fields)), fault


def _read_csv(path_or_url: str | Path, chunksize: int, dataset: Dataset) -> Iterator[pd.DataFrame]:
    source = str(path_or_url)
    with (
        _open(path_or_url) as handle,
        io.TextIOWrapper(handle, encoding="utf-8", errors="surrogateescape", newline="") as text,
    ):
        records = _records(text, source)
        first = next(records, None)
        if first is None:
            raise ExportFormatError(f"{source}: empty file, no header row")
        header = first[0]
        mapping = column_mapping(header, source, dataset)
        while chunk := list(itertools.islice(records, chunksize)):
            frame = pd.DataFrame([fields for fields, _ in chunk], columns=header, dtype=object)
            out = _canonical_chunk(frame, mapping, dataset)
            out[FAULT_COLUMN] = [fault for _, fault in chunk]
            yield out


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
    path_or_url: str | Path, fmt: ExportFormat, chunksize: int, dataset: Dataset
) -> Iterator[pd.DataFrame]:
    source = str(path_or_url)
    with _open(path_or_url) as handle:
        records = _json_records(handle, fmt, source)
    headers = list(dict.fromkeys(k for r in records[:1000] for k in r if not k.startswith(":")))
    if records:
        column_mapping(headers, source, dataset)  # fails early, naming the file, without a key
    for start in range(0, len(records), chunksize):
        yield records_to_frame(records[start : start + chunksize], dataset)


def read_export(
    path_or_url: str | Path,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    fmt: ExportFormat | None = None,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> Iterator[pd.DataFrame]:
    """Canonical all-string frames of an export of `dataset`, `chunksize` rows at a time.

    `fmt` overrides the format guessed from the name (useful for URLs such as
    `.../rows.csv?accessType=DOWNLOAD`, which are guessed right anyway). Raises `ExportFormatError`
    naming the file when no column of the dataset's key can be found.
    """
    if chunksize <= 0:
        raise ValueError(f"chunksize must be positive, got {chunksize}")
    fmt = fmt or detect_format(path_or_url)
    log.info("reading %s export %s", fmt, path_or_url)
    if fmt == "csv":
        yield from _read_csv(path_or_url, chunksize, dataset)
    else:
        yield from _read_json(path_or_url, fmt, chunksize, dataset)
