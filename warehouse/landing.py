"""The landing zone: every fetched batch written once, as Parquet, before it is loaded.

Layout: `<landing>/food_inspections/ingest_date=YYYY-MM-DD/batch=<uuid>.parquet`, on a local folder
or any fsspec URL (`s3://...`). A file is never overwritten; its sha256 and size go to the batch's
row in `meta.ingest_batches`, so a load can always be replayed from exactly what was fetched.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.datasets import CANONICAL_COLUMNS, FOOD_INSPECTIONS, Dataset

SCHEMA = pa.schema([pa.field(c, pa.string()) for c in CANONICAL_COLUMNS])


@dataclass(frozen=True)
class LandedFile:
    url: str
    rows: int
    bytes: int
    sha256: str


def batch_url(
    landing_url: str, batch_id: uuid.UUID, ingest_date: date, dataset: Dataset = FOOD_INSPECTIONS
) -> str:
    base = landing_url.rstrip("/")
    return f"{base}/{dataset.name}/ingest_date={ingest_date.isoformat()}/batch={batch_id}.parquet"


def as_table(frame: pd.DataFrame) -> pa.Table:
    """A frame of canonical strings as an Arrow table of the landing schema (missing columns null)."""
    columns = {c: frame[c] if c in frame.columns else None for c in CANONICAL_COLUMNS}
    arrays = [
        pa.array(
            [None] * len(frame) if col is None else col.astype(object).where(col.notna(), None),
            pa.string(),
        )
        for col in columns.values()
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def write_batch(frames: Iterable[pd.DataFrame], url: str) -> LandedFile:
    """Write canonical string frames to one new Parquet file at `url` (refuses to overwrite)."""
    fs, path = fsspec.core.url_to_fs(url)
    if fs.exists(path):
        raise FileExistsError(f"landing file {url} exists already; batches are immutable")
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    partial = path + ".partial"  # a fetch that dies leaves only this, overwritten on retry
    rows = 0
    digest = hashlib.sha256()
    with fs.open(partial, "wb") as raw, pq.ParquetWriter(raw, SCHEMA, compression="zstd") as writer:
        for frame in frames:
            table = as_table(frame)
            rows += table.num_rows
            writer.write_table(table)
    fs.mv(partial, path)
    with fs.open(path, "rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    return LandedFile(url=url, rows=rows, bytes=fs.size(path), sha256=digest.hexdigest())


def read_batch(url: str, expected_sha256: str | None = None) -> Iterator[pa.Table]:
    """The landed batch, row group by row group; checks the sha256 first when given."""
    fs, path = fsspec.core.url_to_fs(url)
    if expected_sha256 is not None:
        digest = hashlib.sha256()
        with fs.open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected_sha256:
            raise ValueError(f"landing file {url} does not match its recorded sha256")
    with fs.open(path, "rb") as f:
        parquet = pq.ParquetFile(f)
        for i in range(parquet.num_row_groups):
            yield parquet.read_row_group(i)
