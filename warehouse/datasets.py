"""The registry of datasets Canvass loads, and each one's column contract.

A dataset names its canonical columns (every source maps to them: sources yield tables of strings
in these columns; typing and validation happen in the loader, so a malformed value is quarantined
with a reason instead of being lost in a parser), its key, its event-date and watermark fields, its
raw table and the header spellings users hand us (the portal's export, the JSON API, snake_case,
CamelCase). Sources (`flows/sources/`), landing, batches and the loader all take it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass(frozen=True)
class Dataset:
    """One dataset's contract: what its rows are called and how they are keyed and dated."""

    name: str  # the landing folder and the batches' dataset
    raw_table: str
    columns: tuple[str, ...]
    key: str
    event_date: str
    watermark_field: str  # the Socrata field incremental loads continue from
    socrata_url: str  # the City's live resource (SODA)
    export_headers: dict[str, str] = field(default_factory=dict)  # the portal's CSV export
    aliases: dict[str, str] = field(default_factory=dict)  # other spellings, API fields included

    @cached_property
    def _by_squashed(self) -> dict[str, str]:
        spellings = self.export_headers | self.aliases | {c: c for c in self.columns}
        return {_squash(k): v for k, v in spellings.items()}

    def canonical_name(self, header: str) -> str | None:
        """The column a source header means, or None for a column we do not use."""
        return self._by_squashed.get(_squash(header))


FOOD_INSPECTIONS = Dataset(
    name="food_inspections",
    raw_table="raw.food_inspections",
    columns=(
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
    ),
    key="inspection_id",
    event_date="inspection_date",
    watermark_field=":updated_at",
    socrata_url="https://data.cityofchicago.org/resource/4ijn-s7e5.json",
    export_headers={
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
    },
    # The JSON API (SODA) calls the licence `license_`; files saved by people say it other ways.
    aliases={
        "license_": "license_number",
        "license": "license_number",
        "license_no": "license_number",
        "licenseid": "license_number",
    },
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (FOOD_INSPECTIONS,)}

# A column every source may add beside a dataset's own: why the row could not be read as the file
# wrote it (an invalid byte, a ragged row, ...). The loader quarantines such a row with that reason.
FAULT_COLUMN = "source_fault"

# The inspections' contract under the names the sources and the loader use.
CANONICAL_COLUMNS: tuple[str, ...] = FOOD_INSPECTIONS.columns
EXPORT_HEADERS: dict[str, str] = FOOD_INSPECTIONS.export_headers


def canonical_name(header: str) -> str | None:
    """The inspections column a source header means, or None for a column we do not use."""
    return FOOD_INSPECTIONS.canonical_name(header)
