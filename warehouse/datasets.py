"""The registry of datasets Canvass loads, and each one's column contract.

A dataset names its canonical columns (every source maps to them: sources yield tables of strings
in these columns; typing and validation happen in the loader, so a malformed value is quarantined
with a reason instead of being lost in a parser), the kind of each typed column (`KINDS`), its key,
its event-date and watermark fields, its raw table and the header spellings users hand us (the
portal's export, the JSON API, snake_case, CamelCase). Sources (`flows/sources/`), landing, batches,
validation and the loader all take it from here: one machinery, a dataset as its parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# What a typed column holds; every other column is text, loaded as the source wrote it.
KINDS = {
    "id": "a whole number within bigint, digits only (a key)",
    "whole": "a whole number, written with or without '.0' (a licence number)",
    "signed": "a whole number with an optional sign (tenths of a degree, say)",
    "number": "a decimal number",
    "date": "MM/DD/YYYY or YYYY-MM-DD, a real calendar date",
    "latitude": "WGS84 degrees; 0 means unknown; with longitude, inside Chicago",
    "longitude": "WGS84 degrees; 0 means unknown; with latitude, inside Chicago",
    "zip": "five digits, optionally ZIP+4; 0 means unknown",
    "boolean": "true or false",
}


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass(frozen=True)
class Dataset:
    """One dataset's contract: what its rows are called and how they are keyed and dated."""

    name: str  # the landing folder and the batches' dataset
    raw_table: str
    dbt_source: str  # the dbt source that reads raw_table ("<source>.<table>")
    columns: tuple[str, ...]
    key: str
    event_date: str
    watermark_field: str  # the Socrata field incremental loads continue from
    socrata_url: str | None  # the City's live resource (SODA); None for a file-only dataset
    kinds: dict[str, str] = field(default_factory=dict)  # typed columns (KINDS); the rest is text
    export_headers: dict[str, str] = field(default_factory=dict)  # the portal's CSV export
    aliases: dict[str, str] = field(default_factory=dict)  # other spellings, API fields included
    socrata_where: str | None = None  # a fixed SoQL filter (burglaries out of all crimes)
    description: str = ""

    def __post_init__(self) -> None:
        unknown = {k: v for k, v in self.kinds.items() if v not in KINDS or k not in self.columns}
        if unknown:
            raise ValueError(f"dataset {self.name}: unknown kinds or columns {unknown}")
        if self.key not in self.columns or (
            self.event_date and self.event_date not in self.columns
        ):
            raise ValueError(f"dataset {self.name}: key and event date must be columns")

    @property
    def history_table(self) -> str:
        """Where the loader keeps every earlier version of a row the source corrected."""
        return f"{self.raw_table}_history"

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if self.kinds.get(c) == "date")

    @property
    def watermark_prefix(self) -> str:
        """Watermarks are kept per source; inspections' keep the bare source (as before)."""
        return "" if self.name == FOOD_INSPECTIONS_NAME else f"{self.name}:"

    @cached_property
    def _by_squashed(self) -> dict[str, str]:
        spellings = self.export_headers | self.aliases | {c: c for c in self.columns}
        return {_squash(k): v for k, v in spellings.items()}

    def canonical_name(self, header: str) -> str | None:
        """The column a source header means, or None for a column we do not use."""
        return self._by_squashed.get(_squash(header))


FOOD_INSPECTIONS_NAME = "food_inspections"

FOOD_INSPECTIONS = Dataset(
    name=FOOD_INSPECTIONS_NAME,
    raw_table="raw.food_inspections",
    dbt_source="chicago.food_inspections",
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
    kinds={
        "inspection_id": "id",
        "license_number": "whole",
        "inspection_date": "date",
        "latitude": "latitude",
        "longitude": "longitude",
        "zip": "zip",
    },
    description="City of Chicago Food Inspections (4ijn-s7e5)",
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

# 311 Service Requests - Sanitation Code Complaints (me59-5fac). The portal's export names, its API
# fields and the City's 2014 files all fold to these; the request number repeats when the City
# re-completed a request: the loader keeps the last version in source order, the rest in history.
SANITATION_COMPLAINTS = Dataset(
    name="sanitation_complaints",
    raw_table="raw.sanitation_complaints",
    dbt_source="chicago.sanitation_complaints",
    columns=(
        "service_request_number",
        "creation_date",
        "status",
        "completion_date",
        "type_of_service_request",
        "violation_nature",
        "street_address",
        "zip_code",
        "ward",
        "police_district",
        "community_area",
        "latitude",
        "longitude",
    ),
    key="service_request_number",
    event_date="creation_date",
    watermark_field=":updated_at",
    socrata_url="https://data.cityofchicago.org/resource/me59-5fac.json",
    kinds={
        "creation_date": "date",
        "completion_date": "date",
        "zip_code": "zip",
        "ward": "whole",
        "police_district": "whole",
        "community_area": "whole",
        "latitude": "latitude",
        "longitude": "longitude",
    },
    description="City of Chicago 311 Service Requests - Sanitation Code Complaints (me59-5fac)",
    aliases={
        "what_is_the_nature_of_this_code_violation_": "violation_nature",
        "What is the Nature of this Code Violation?": "violation_nature",
        "nature_of_code_violation": "violation_nature",
    },
)

# Crimes - 2001 to present (ijzp-q8t2), burglaries only: the live source is filtered with $where.
BURGLARIES = Dataset(
    name="burglaries",
    raw_table="raw.burglaries",
    dbt_source="chicago.burglaries",
    columns=(
        "id",
        "case_number",
        "date",
        "block",
        "iucr",
        "primary_type",
        "description",
        "location_description",
        "arrest",
        "domestic",
        "beat",
        "district",
        "ward",
        "community_area",
        "updated_on",
        "latitude",
        "longitude",
    ),
    key="id",
    event_date="date",
    watermark_field=":updated_at",
    socrata_url="https://data.cityofchicago.org/resource/ijzp-q8t2.json",
    socrata_where="primary_type = 'BURGLARY'",
    kinds={
        "id": "id",
        "date": "date",
        "arrest": "boolean",
        "domestic": "boolean",
        "ward": "whole",
        "community_area": "whole",
        "updated_on": "date",
        "latitude": "latitude",
        "longitude": "longitude",
    },
    description="City of Chicago Crimes - 2001 to present (ijzp-q8t2), burglaries only",
)

# NOAA GHCN-Daily, one station's days as a CSV (one row a day, one column an element, in GHCN units:
# tenths of a degree C, tenths of a mm). One station: the day is the key.
WEATHER_DAILY = Dataset(
    name="weather_daily",
    raw_table="raw.weather_daily",
    dbt_source="noaa.weather_daily",
    columns=("date", "station", "tmax", "tmin", "prcp", "snow", "snwd", "awnd"),
    key="date",
    event_date="date",
    watermark_field="",
    socrata_url=None,
    kinds={
        "date": "date",
        "tmax": "signed",
        "tmin": "signed",
        "prcp": "signed",
        "snow": "signed",
        "snwd": "signed",
        "awnd": "signed",
    },
    description="NOAA GHCN-Daily, Chicago O'Hare (USW00094846), daily elements in GHCN units",
)

# The critical / serious / minor violation counts of inspections whose violation text is not
# published (the City's 2014 evaluation data): keyed by inspection, no date of its own.
VIOLATION_COUNTS = Dataset(
    name="violation_counts",
    raw_table="raw.violation_counts",
    dbt_source="chicago.violation_counts",
    columns=("inspection_id", "critical_count", "serious_count", "minor_count"),
    key="inspection_id",
    event_date="",
    watermark_field="",
    socrata_url=None,
    kinds={
        "inspection_id": "id",
        "critical_count": "whole",
        "serious_count": "whole",
        "minor_count": "whole",
    },
    description="Violation counts by severity of inspections without violation text",
    aliases={"Inspection ID": "inspection_id", "InspectionID": "inspection_id"},
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (FOOD_INSPECTIONS, SANITATION_COMPLAINTS, BURGLARIES, WEATHER_DAILY, VIOLATION_COUNTS)
}


def get_dataset(name: str) -> Dataset:
    """The registered dataset called `name`; a clear error naming the ones there are."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"no dataset {name!r}; the datasets are {', '.join(DATASETS)}") from None


# A column every source may add beside a dataset's own: why the row could not be read as the file
# wrote it (an invalid byte, a ragged row, ...). The loader quarantines such a row with that reason.
FAULT_COLUMN = "source_fault"

# The inspections' contract under the names the sources and the loader use.
CANONICAL_COLUMNS: tuple[str, ...] = FOOD_INSPECTIONS.columns
EXPORT_HEADERS: dict[str, str] = FOOD_INSPECTIONS.export_headers


def canonical_name(header: str) -> str | None:
    """The inspections column a source header means, or None for a column we do not use."""
    return FOOD_INSPECTIONS.canonical_name(header)
