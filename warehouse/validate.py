"""Row checks for a landed batch, vectorised with Arrow: typed columns for the good rows, and a
reason for each bad one.

A row's reason is the first failing check, in the order of `CHECKS`. The source writes 0 for an
unknown coordinate or zip: those become missing values, not places in the Gulf of Guinea.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from warehouse.datasets import FAULT_COLUMN, FOOD_INSPECTIONS, Dataset

# Chicago's bounding box, with a margin: coordinates outside it are typos, not restaurants.
CHICAGO_BBOX = {"lat_min": 41.60, "lat_max": 42.05, "lon_min": -87.95, "lon_max": -87.50}
EARLIEST_DATE = date(1990, 1, 1)

_INTEGER = r"^[0-9]{1,19}$"  # and within bigint: see _fits_bigint
_BIGINT_MAX = "9223372036854775807"
_WHOLE_NUMBER = r"^[0-9]{1,18}(\.0*)?$"
_DECIMAL = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_ZERO = r"^[-+]?0*(\.0*)?$"
_ZIP = r"^[0-9]{5}(\.0*|-[0-9]{4})?$"
_US_DATE = r"^(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4})$"
_ISO_DATE = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})$"


@dataclass(frozen=True)
class Checked:
    """Every row typed (`ok` false for a rejected one), and each rejected row's reason."""

    typed: pa.Table
    rejected_rows: pa.Array  # source_row of each reject
    reasons: pa.Array  # its reason, same order


def _clean(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed strings; empty means missing."""
    trimmed = pc.utf8_trim_whitespace(column.cast(pa.string()))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _as_string(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text columns load as the source wrote them; staging trims and normalises."""
    return column.cast(pa.string())


def _matches(column: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    return pc.fill_null(pc.match_substring_regex(column, pattern), False)


def _fits_bigint(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Digit strings no larger than bigint's maximum (a 19-digit string compares as text)."""
    long = pc.equal(pc.utf8_length(column), len(_BIGINT_MAX))
    return pc.fill_null(pc.or_(pc.invert(long), pc.less_equal(column, _BIGINT_MAX)), False)


def _parse_date(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """MM/DD/YYYY (the export) or YYYY-MM-DD (the API); null when not a real calendar date."""
    out = pa.nulls(len(column), pa.date32())
    for pattern in (_US_DATE, _ISO_DATE):
        parts = pc.extract_regex(column, pattern)
        y, m, d = (pc.struct_field(parts, k) for k in ("y", "m", "d"))
        ok = pc.is_valid(parts)
        y, m, d = (pc.cast(pc.if_else(ok, v, "1"), pa.int32()) for v in (y, m, d))
        in_range = pc.and_(
            pc.and_(ok, pc.less_equal(m, 12)),
            pc.and_(pc.greater_equal(m, 1), pc.greater_equal(d, 1)),
        )
        text = pc.binary_join_element_wise(
            pc.cast(y, pa.string()),
            pc.utf8_lpad(pc.cast(pc.if_else(in_range, m, 1), pa.string()), 2, "0"),
            pc.utf8_lpad(pc.cast(pc.if_else(in_range, d, 1), pa.string()), 2, "0"),
            "-",
        )
        parsed = pc.cast(
            pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32()
        )
        # strptime rolls 02/30 over to 03/02: a real date reads back the same day of the month.
        real = pc.and_(in_range, pc.fill_null(pc.equal(pc.day(parsed), d), False))
        out = pc.if_else(real, parsed, out)
    return out


def _null_where(column: pa.ChunkedArray, mask: pa.ChunkedArray) -> pa.ChunkedArray:
    """`column` with nulls where `mask` holds (string if_else is slow: skip it when it is a no-op)."""
    if not pc.any(mask).as_py():
        return column
    return pc.if_else(mask, pa.scalar(None, column.type), column)


def _to_float(column: pa.ChunkedArray, ok: pa.ChunkedArray) -> pa.ChunkedArray:
    """Floats of the values that look like numbers; null elsewhere."""
    return pc.cast(_null_where(column, pc.invert(ok)), pa.float64())


_SIGNED = r"^[-+]?[0-9]{1,18}$"
_BOOLEAN = r"^(?i:true|false)$"


def _column(table: pa.Table, name: str, typed: bool) -> pa.ChunkedArray:
    if name not in table.column_names:
        return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])
    return (_clean if typed else _as_string)(table.column(name))


def check(
    table: pa.Table,
    first_row: int = 0,
    today: date | None = None,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> Checked:
    """Type and check a table of `dataset`'s canonical strings; rows are numbered from `first_row`.

    The checks follow the contract's column kinds (`warehouse.datasets.KINDS`), in this order: the
    key, the event date, other dates, whole numbers, numbers, coordinates, zips, booleans."""
    today = today or date.today()
    n = table.num_rows
    kinds = dataset.kinds
    get = {c: _column(table, c, c in kinds or c == dataset.key) for c in dataset.columns}
    source_row = pa.array(range(first_row, first_row + n), pa.int64())
    checks: list[tuple[str, pa.ChunkedArray]] = []
    out: dict[str, pa.ChunkedArray] = {}

    def given(c: str) -> pa.ChunkedArray:
        return pc.is_valid(get[c])

    key = dataset.key
    checks.append((f"missing {key}", pc.is_null(get[key])))
    for c in dataset.columns:
        if kinds.get(c) != "date":
            continue
        parsed = _parse_date(get[c])
        out[c] = parsed
        if c == dataset.event_date or c == key:
            if c != key:
                checks.append((f"missing {c}", pc.is_null(get[c])))
            checks.append((f"{c} is not a date", pc.is_null(parsed)))
            checks.append(
                (
                    f"{c} is in the future",
                    pc.fill_null(pc.greater(parsed, pa.scalar(today, pa.date32())), False),
                )
            )
            checks.append(
                (
                    f"{c} is before 1990",
                    pc.fill_null(pc.less(parsed, pa.scalar(EARLIEST_DATE, pa.date32())), False),
                )
            )
        else:
            checks.append((f"{c} is not a date", pc.and_(given(c), pc.is_null(parsed))))
    for c in dataset.columns:
        kind = kinds.get(c)
        if kind == "id":
            ok = pc.and_(_matches(get[c], _INTEGER), _fits_bigint(get[c]))
            checks.append((f"{c} is not a whole number", pc.and_(given(c), pc.invert(ok))))
            out[c] = pc.cast(_null_where(get[c], pc.invert(ok)), pa.int64())
        elif kind in ("whole", "signed"):
            ok = _matches(get[c], _WHOLE_NUMBER if kind == "whole" else _SIGNED)
            checks.append((f"{c} is not a whole number", pc.and_(given(c), pc.invert(ok))))
            as_float = pc.cast(_null_where(get[c], pc.invert(ok)), pa.float64())
            out[c] = pc.cast(as_float, pa.int64())
        elif kind == "number":
            ok = _matches(get[c], _DECIMAL)
            checks.append((f"{c} is not a number", pc.and_(given(c), pc.invert(ok))))
            out[c] = _to_float(get[c], ok)
    # Order so that the key's checks come first (they were appended first for every kind but id).
    key_checks = [ch for ch in checks if ch[0].startswith(f"{key} ") or ch[0] == f"missing {key}"]
    checks = key_checks + [ch for ch in checks if ch not in key_checks]

    if "latitude" in kinds.values():
        lat_c = next(c for c, k in kinds.items() if k == "latitude")
        lon_c = next(c for c, k in kinds.items() if k == "longitude")
        lat = _null_where(get[lat_c], _matches(get[lat_c], _ZERO))
        lon = _null_where(get[lon_c], _matches(get[lon_c], _ZERO))
        lat_ok, lon_ok = _matches(lat, _DECIMAL), _matches(lon, _DECIMAL)
        lat_f, lon_f = _to_float(lat, lat_ok), _to_float(lon, lon_ok)
        b = CHICAGO_BBOX
        checks += [
            (f"{lat_c} is not a number", pc.and_(pc.is_valid(lat), pc.invert(lat_ok))),
            (f"{lon_c} is not a number", pc.and_(pc.is_valid(lon), pc.invert(lon_ok))),
            (
                f"only one of {lat_c} and {lon_c} is given",
                pc.not_equal(pc.is_valid(lat), pc.is_valid(lon)),
            ),
            (
                "coordinates outside Chicago",
                pc.fill_null(
                    pc.or_(
                        pc.or_(pc.less(lat_f, b["lat_min"]), pc.greater(lat_f, b["lat_max"])),
                        pc.or_(pc.less(lon_f, b["lon_min"]), pc.greater(lon_f, b["lon_max"])),
                    ),
                    False,
                ),
            ),
        ]
        out[lat_c], out[lon_c] = lat_f, lon_f
    for c in dataset.columns:
        if kinds.get(c) == "zip":
            zip_code = _null_where(get[c], _matches(get[c], _ZERO))
            checks.append(
                (
                    f"{c} is not a five-digit code",
                    pc.and_(pc.is_valid(zip_code), pc.invert(_matches(zip_code, _ZIP))),
                )
            )
            out[c] = zip_code
        elif kinds.get(c) == "boolean":
            ok = _matches(get[c], _BOOLEAN)
            checks.append((f"{c} is not true or false", pc.and_(given(c), pc.invert(ok))))
            out[c] = pc.equal(pc.utf8_lower(_null_where(get[c], pc.invert(ok))), "true")

    # A small code per row (0 = good), first failing check wins; texts only for the bad rows.
    code = pa.scalar(0, pa.int16())
    for i in range(len(checks) - 1, -1, -1):
        code = pc.if_else(checks[i][1], pa.scalar(i + 1, pa.int16()), code)
    # A fault the source found reading the row (an invalid byte, a ragged row) comes first: its
    # values are not what the file meant, so the checks above would name the wrong fault.
    fault = (
        _clean(table.column(FAULT_COLUMN))
        if FAULT_COLUMN in table.column_names
        else pa.chunked_array([pa.nulls(n, pa.string())])
    )
    good = pc.and_(pc.equal(code, 0), pc.is_null(fault))
    bad = pc.invert(good)
    reasons = pa.array(
        [
            f if f is not None else checks[c - 1][0]
            for c, f in zip(
                pc.filter(code, bad).to_pylist(), pc.filter(fault, bad).to_pylist(), strict=True
            )
        ],
        pa.string(),
    )

    # Every row goes on, typed, with `ok`: filtering wide text columns here would copy them all,
    # while the database skips the bad rows for free. A bad row's unparseable values become null.
    typed = pa.table(
        {
            "source_row": source_row,
            "ok": good,
            **{c: out.get(c, get[c]) for c in dataset.columns},
        }
    )
    return Checked(typed=typed, rejected_rows=pc.filter(source_row, bad), reasons=reasons)
