"""Arrow tables as PostgreSQL's binary COPY format (`copy ... from stdin (format binary)`).

The server reads binary values as they are stored: no date, number or CSV parsing. On a million
generated inspections a binary COPY into raw took 6.0-7.4 s where the same rows as CSV took
10.1-11.6 s (bench/ingest.py measures the loader against `psql \\copy`). The encoding is vectorised:
each column becomes its fields (a 4-byte big-endian length, -1 for null, then the value's bytes)
and one Arrow kernel joins the fields of every row, so Python never touches a row.

The column's Arrow type decides its PostgreSQL type, which must be the target column's:
int64 -> bigint, float64 -> double precision, bool -> boolean, date32 -> date, string -> text,
fixed_size_binary(16) -> uuid (`uuid_column`). A mismatch is the server's error, naming the column.
"""

from __future__ import annotations

import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
# PostgreSQL's dates count days from 2000-01-01, Arrow's from 1970-01-01.
_PG_EPOCH_DAYS = 10_957
_NULL = np.frombuffer(b"\xff\xff\xff\xff", np.uint8)
_EMPTY = pa.scalar(b"", pa.large_binary())


def uuid_column(value: uuid.UUID, rows: int) -> pa.Array:
    """`rows` copies of `value`, typed for a uuid column."""
    data = np.tile(np.frombuffer(value.bytes, np.uint8), rows)
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), rows, [None, pa.py_buffer(data)])


def _valid(column: pa.Array) -> np.ndarray:
    return column.is_valid().to_numpy(zero_copy_only=False)


def _from_rows(matrix: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Fields of a fixed-width column from its (rows, 4 + width) byte matrix: a null row keeps
    only its length, -1."""
    rows, size = matrix.shape
    matrix[~valid, :4] = _NULL
    keep = np.ones((rows, size), bool)
    keep[~valid, 4:] = False
    lengths = np.where(valid, size, 4)
    offsets = np.zeros(rows + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = matrix[keep]
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _fixed(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Fields of big-endian fixed-width `values` (one per row)."""
    rows = len(values)
    width = values.dtype.itemsize
    matrix = np.empty((rows, 4 + width), np.uint8)
    matrix[:, :4] = np.frombuffer(np.array(width, ">i4").tobytes(), np.uint8)
    matrix[:, 4:] = np.ascontiguousarray(values).view(np.uint8).reshape(rows, width)
    return _from_rows(matrix, valid)


def _lengths(lengths: np.ndarray, valid: np.ndarray) -> pa.Array:
    """The length words of a variable-width column (-1 for null), one 4-byte binary per row."""
    words = np.where(valid, lengths, -1).astype(">i4")
    offsets = np.arange(0, 4 * (len(words) + 1), 4, dtype=np.int64)
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(words), [None, pa.py_buffer(offsets), pa.py_buffer(words.tobytes())]
    )


def _fields(column: pa.Array, name: str) -> list[pa.Array]:
    """One column's fields, as one or two large_binary arrays to join per row."""
    kind = column.type
    valid = _valid(column)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        values = pc.fill_null(column.cast(pa.large_binary()), _EMPTY)
        lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
        return [_lengths(lengths, valid), values]
    if pa.types.is_fixed_size_binary(kind) and kind.byte_width == 16:
        raw = np.frombuffer(column.buffers()[1], np.uint8)
        start = column.offset * 16
        values = raw[start : start + 16 * len(column)].view("V16")
        return [_fixed(values, valid)]
    if pa.types.is_int64(kind):
        values = pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype(">i8")
    elif pa.types.is_float64(kind):
        values = pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False).astype(">f8")
    elif pa.types.is_boolean(kind):
        values = pc.fill_null(column, False).to_numpy(zero_copy_only=False).astype(np.uint8)
    elif pa.types.is_date32(kind):
        days = pc.fill_null(column.cast(pa.int32()), _PG_EPOCH_DAYS)
        values = (days.to_numpy(zero_copy_only=False) - _PG_EPOCH_DAYS).astype(">i4")
    else:
        raise TypeError(f"column {name}: no binary COPY encoding for Arrow type {kind}")
    return [_fixed(values, valid)]


def encode(table: pa.Table) -> bytes:
    """The whole COPY stream of `table`'s rows (signature, rows, trailer), columns in its order."""
    if table.num_columns >= 1 << 15:
        raise ValueError(f"binary COPY holds at most 32767 columns, not {table.num_columns}")
    rows = table.num_rows
    if rows == 0:
        return SIGNATURE + TRAILER
    count = np.frombuffer(np.array(table.num_columns, ">i2").tobytes(), np.uint8)
    parts = [
        pa.LargeBinaryArray.from_buffers(
            pa.large_binary(),
            rows,
            [
                None,
                pa.py_buffer(np.arange(0, 2 * (rows + 1), 2, dtype=np.int64)),
                pa.py_buffer(np.tile(count, rows)),
            ],
        )
    ]
    for name in table.column_names:
        parts += _fields(table.column(name).combine_chunks(), name)
    joined = pc.binary_join_element_wise(*parts, _EMPTY)
    offsets = np.frombuffer(joined.buffers()[1], np.int64)
    start, end = offsets[joined.offset], offsets[joined.offset + rows]
    body = memoryview(joined.buffers()[2])[start:end]
    return b"".join([SIGNATURE, body, TRAILER])
