"""The one internal schema every source maps to, and the header spellings users hand us.

Sources yield tables of strings in these columns; typing and validation happen in the loader, so a
malformed value is quarantined with a reason instead of being lost in a parser.
"""

from __future__ import annotations

CANONICAL_COLUMNS: tuple[str, ...] = (
    "inspection_id",
    "dba_name",
    "aka_name",
    "license_number",
    "facility_type",
    "risk",
    "address",
    "city",
    "state",
    "zip",
    "inspection_date",
    "inspection_type",
    "results",
    "violations",
    "latitude",
    "longitude",
    "location",
)

# The portal's CSV export, exactly as downloaded.
EXPORT_HEADERS: dict[str, str] = {
    "Inspection ID": "inspection_id",
    "DBA Name": "dba_name",
    "AKA Name": "aka_name",
    "License #": "license_number",
    "Facility Type": "facility_type",
    "Risk": "risk",
    "Address": "address",
    "City": "city",
    "State": "state",
    "Zip": "zip",
    "Inspection Date": "inspection_date",
    "Inspection Type": "inspection_type",
    "Results": "results",
    "Violations": "violations",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Location": "location",
}

# The JSON API (SODA) field names; the only one that differs from ours is `license_`.
API_FIELDS: dict[str, str] = {c: c for c in CANONICAL_COLUMNS if c != "license_number"} | {
    "license_": "license_number",
    "license": "license_number",
    "license_no": "license_number",
}


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


# Any spelling (export, API, snake_case, CamelCase) folded to letters and digits.
_BY_SQUASHED: dict[str, str] = (
    {_squash(k): v for k, v in (EXPORT_HEADERS | API_FIELDS).items()}
    | {_squash(c): c for c in CANONICAL_COLUMNS}
    | {
        "license": "license_number",
        "licenseno": "license_number",
        "licenseid": "license_number",
    }
)


def canonical_name(header: str) -> str | None:
    """The internal column a source header means, or None for a column we do not use."""
    return _BY_SQUASHED.get(_squash(header))
