"""The City's other datasets through the one loader: each dataset's contract, the quarantine of
its bad rows with a reason naming the fault, an idempotent reload, and the real files' headers."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import yaml
from support.dbt_sandbox import sandbox

from flows.sources.demo import demo_sources
from flows.sources.files import ExportFormatError, read_export
from warehouse.batches import loaded_datasets
from warehouse.datasets import DATASETS, get_dataset
from warehouse.landing import as_table
from warehouse.load import load_tables, raw_checksum

GOOD = {
    "sanitation_complaints": {
        "service_request_number": "12-01209013",
        "creation_date": "06/01/2012",
        "status": "Completed",
        "completion_date": "06/12/2012",
        "type_of_service_request": "Sanitation Code Violation",
        "violation_nature": "Garbage in alley",
        "street_address": "3612 N DAMEN AVE",
        "zip_code": "60618",
        "ward": "47",
        "police_district": "19",
        "community_area": "5",
        "latitude": "41.9470",
        "longitude": "-87.6789",
    },
    "burglaries": {
        "id": "8142251",
        "case_number": "HT376258",
        "date": "07/02/2011",
        "block": "050XX S DREXEL BLVD",
        "iucr": "0620",
        "primary_type": "BURGLARY",
        "description": "UNLAWFUL ENTRY",
        "location_description": "APARTMENT",
        "arrest": "false",
        "domestic": "false",
        "beat": "2124",
        "district": "002",
        "ward": "4",
        "community_area": "39",
        "updated_on": "07/10/2011",
        "latitude": "41.802675539",
        "longitude": "-87.603603827",
    },
    "weather_daily": {
        "date": "2012-07-01",
        "station": "USW00094846",
        "tmax": "344",
        "tmin": "-11",
        "prcp": "0",
        "snow": "0",
        "snwd": "0",
        "awnd": "35",
    },
    "violation_counts": {
        "inspection_id": "269961",
        "critical_count": "0",
        "serious_count": "1",
        "minor_count": "2",
    },
}

# One bad row per dataset and the reason it must be quarantined with.
BAD = {
    "sanitation_complaints": [
        ({"service_request_number": ""}, "missing service_request_number"),
        ({"creation_date": "13/45/2012"}, "creation_date is not a date"),
        ({"completion_date": "soon"}, "completion_date is not a date"),
        ({"ward": "forty"}, "ward is not a whole number"),
        ({"latitude": "45.1"}, "coordinates outside Chicago"),
        ({"zip_code": "6061"}, "zip_code is not a five-digit code"),
    ],
    "burglaries": [
        ({"id": "HT1"}, "id is not a whole number"),
        ({"date": ""}, "missing date"),
        ({"arrest": "maybe"}, "arrest is not true or false"),
        ({"longitude": ""}, "only one of latitude and longitude is given"),
    ],
    "weather_daily": [
        ({"date": "2012-02-30"}, "date is not a date"),
        ({"tmax": "34.4"}, "tmax is not a whole number"),
        ({"date": "2999-01-01"}, "date is in the future"),
    ],
    "violation_counts": [
        ({"inspection_id": ""}, "missing inspection_id"),
        ({"critical_count": "two"}, "critical_count is not a whole number"),
    ],
}

NAMES = list(GOOD)


def _load(conn: psycopg.Connection, name: str, rows: list[dict[str, str]]):
    dataset = get_dataset(name)
    batch = uuid.uuid4()
    conn.execute(
        "insert into meta.ingest_batches (batch_id, source, dataset) values (%s, 'test', %s)",
        [batch, name],
    )
    with conn.transaction():
        result = load_tables(conn, [as_table(pd.DataFrame(rows), dataset)], batch, dataset)
    return batch, result


@pytest.fixture
def clean(db: psycopg.Connection) -> psycopg.Connection:
    tables = [t for d in NAMES for t in (DATASETS[d].raw_table, DATASETS[d].history_table)]
    db.execute(f"truncate {', '.join(tables)}, meta.ingest_rejects")
    db.commit()
    return db


@pytest.mark.parametrize("name", NAMES)
def test_bad_rows_are_quarantined_with_their_fault_and_cost_only_themselves(clean, name):
    dataset = get_dataset(name)
    key = dataset.key
    good = GOOD[name]
    rows = [good]
    for i, (change, _) in enumerate(BAD[name]):
        row = good | change
        if key not in change and dataset.kinds.get(key) != "date":
            row[key] = f"{good[key][:-2]}{i + 10}"  # another key: only its fault is wrong
        rows.append(row)
    batch, result = _load(clean, name, rows)
    assert result.rows_inserted == 1
    assert result.rows_rejected == len(BAD[name])
    reasons = [
        r for (r,) in clean.execute(
            "select reason from meta.ingest_rejects where batch_id = %s order by source_row",
            [batch],
        )
    ]  # fmt: skip
    assert reasons == [reason for _, reason in BAD[name]]


@pytest.mark.parametrize("name", NAMES)
def test_a_reload_changes_nothing_and_a_correction_keeps_history(clean, name):
    dataset = get_dataset(name)
    frame = demo_sources(n_establishments=30).get(name)
    rows = frame.head(200).to_dict("records") if frame is not None else [GOOD[name]]
    _load(clean, name, rows)
    first = raw_checksum(clean, dataset)
    assert first[0] == len(rows)
    _, again = _load(clean, name, rows)
    assert raw_checksum(clean, dataset) == first
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, len(rows))
    if name == "violation_counts":
        corrected = rows[0] | {"minor_count": "9"}
    else:
        text = next(c for c in dataset.columns if c != dataset.key and c not in dataset.kinds)
        corrected = rows[0] | {text: "CORRECTED"}
    _, fix = _load(clean, name, [corrected])
    assert fix.rows_updated == 1
    history = clean.execute(f"select count(*) from {dataset.history_table}").fetchone()[0]
    assert history == 1


def test_a_repeated_key_in_one_file_keeps_the_later_version(clean):
    first = GOOD["sanitation_complaints"]
    later = first | {"completion_date": "07/01/2012"}
    _, result = _load(clean, "sanitation_complaints", [first, later])
    assert (result.rows_inserted, result.rows_duplicate) == (1, 1)
    kept = clean.execute("select completion_date::text from raw.sanitation_complaints").fetchone()
    assert kept == ("2012-07-01",)
    history = clean.execute(
        "select completion_date::text from raw.sanitation_complaints_history"
    ).fetchall()
    assert history == [("2012-06-12",)]


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("sanitation_complaints", "sources/chicago_311_sanitation_2011-2014.csv.gz"),
        ("burglaries", "sources/chicago_crimes_burglary_2011-2014.csv.gz"),
        ("weather_daily", "sources/chicago_weather_ohare_ghcnd_2009-2016.csv.gz"),
        ("violation_counts", "chicago_canvass_2011-09_2014-08_violation_counts.csv"),
    ],
)
def test_the_real_files_map_every_contract_column(shared_data: Path, name: str, file: str) -> None:
    path = shared_data / file
    if not path.exists():
        pytest.skip(f"{path} is not here")
    frame = next(read_export(path, chunksize=500, dataset=get_dataset(name)))
    contract = get_dataset(name)
    filled = {c for c in contract.columns if (frame[c] != "").any()}
    assert filled == set(contract.columns)


def test_a_file_of_another_dataset_is_refused_by_name(shared_data: Path) -> None:
    path = shared_data / "sources/chicago_weather_ohare_ghcnd_2009-2016.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    with pytest.raises(ExportFormatError, match="is this a burglaries file"):
        next(read_export(path, dataset=get_dataset("burglaries")))


def test_burglaries_come_from_the_crimes_api_filtered_on_their_type() -> None:
    """The live source of burglaries is all crimes, read with `$where primary_type = 'BURGLARY'`
    and the date window on the dataset's own date field."""
    from support.socrata_server import SocrataServer

    from flows.sources.socrata import SocrataPages

    crimes = [
        {"id": "1", "case_number": "HT1", "date": "2012-03-01T00:00:00.000",
         "primary_type": "BURGLARY", "latitude": "41.8", "longitude": "-87.6", "arrest": False},
        {"id": "2", "case_number": "HT2", "date": "2012-03-02T00:00:00.000",
         "primary_type": "THEFT", "latitude": "41.8", "longitude": "-87.6", "arrest": True},
        {"id": "3", "case_number": "HT3", "date": "2012-05-01T00:00:00.000",
         "primary_type": "BURGLARY", "latitude": "41.8", "longitude": "-87.6", "arrest": True},
    ]  # fmt: skip
    with SocrataServer(crimes, "/resource/ijzp-q8t2.json", date_field="date") as server:
        pages = SocrataPages(
            server.url,
            since=date(2012, 1, 1),
            until=date(2012, 4, 1),
            dataset=get_dataset("burglaries"),
            max_wait_s=5.0,
            backoff_s=0.01,
        )
        frame = pd.concat(list(pages))
        where = server.requests[0].params["$where"]
    assert where.startswith("(primary_type = 'BURGLARY') AND date >= '2012-01-01T00:00:00'")
    assert list(frame["id"]) == ["1"]
    assert list(frame.columns) == list(get_dataset("burglaries").columns)
    assert frame.iloc[0]["date"] == "2012-03-01"  # the API's timestamp, cut to the day
    assert frame.iloc[0]["arrest"] == "false"


def test_every_dataset_names_the_dbt_source_that_reads_its_table() -> None:
    declared = {}
    for path in (Path(__file__).parents[2] / "models/staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                declared[f"{source['name']}.{table['name']}"] = (
                    f"{source['schema']}.{table['name']}"
                )
    assert {d.dbt_source: declared.get(d.dbt_source) for d in DATASETS.values()} == {
        d.dbt_source: d.raw_table for d in DATASETS.values()
    }


def test_freshness_is_judged_only_for_the_datasets_this_warehouse_has_loaded(
    warehouse_url: str,
) -> None:
    with sandbox(warehouse_url, "canvass_loaded") as url, psycopg.connect(url) as conn:
        # inspections are the pipeline's own: judged before their first load
        assert [d.name for d in loaded_datasets(conn)] == ["food_inspections"]
        for name, status in [("burglaries", "failed"), ("weather_daily", "succeeded")]:
            conn.execute(
                "insert into meta.ingest_batches (batch_id, source, dataset, status, finished_at) "
                "values (%s, 'test', %s, %s, now())",
                [uuid.uuid4(), name, status],
            )
        assert [d.dbt_source for d in loaded_datasets(conn)] == [
            "chicago.food_inspections",
            "noaa.weather_daily",  # a failed load of burglaries loaded nothing
        ]
