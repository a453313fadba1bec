"""The Socrata source against a Socrata-compatible server on loopback, serving real Chicago rows.

The served set is the 561-row portal export in `samples_with_violations` (every inspection type and
result, many partial rows) turned into JSON API records, plus a few synthetic rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from support.socrata_server import Fault, SocrataServer

from flows.sources.files import read_export
from flows.sources.socrata import (
    SocrataPages,
    SourceRequestRejected,
    SourceUnavailable,
    build_where,
    fetch_pages,
    normalise_date,
    records_to_frame,
)
from warehouse.datasets import CANONICAL_COLUMNS

FAST = {"max_wait_s": 5.0, "backoff_s": 0.01, "timeout_s": 2.0}


def _api_record(row: dict[str, str]) -> dict[str, Any]:
    """A canonical export row as the JSON API spells it (field names, timestamps, location)."""
    record: dict[str, Any] = {
        k: v for k, v in row.items() if k not in {"license_number", "location"}
    }
    record["license_"] = row["license_number"]
    month, day, year = row["inspection_date"].split("/")
    record["inspection_date"] = f"{year}-{month}-{day}T00:00:00.000"
    if row["latitude"] and row["longitude"]:
        record["location"] = {
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "human_address": '{"address": "", "city": "", "state": "", "zip": ""}',
        }
    return record


def _synthetic(n: int) -> list[dict[str, Any]]:
    return [
        {
            "inspection_id": str(9_000_000 + i),
            "dba_name": f"SYNTHETIC DINER {i}",
            "license_": str(8_000_000 + i),
            "facility_type": "Restaurant",
            "risk": "Risk 1 (High)",
            "address": f"{100 + i} W MADISON ST",
            "city": "CHICAGO",
            "state": "IL",
            "zip": "60602",
            "inspection_date": f"2021-06-{1 + i:02d}T00:00:00.000",
            "inspection_type": "Canvass",
            "results": "Pass" if i % 3 else "Fail",
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def api_records(shared_data: Path) -> list[dict[str, Any]]:
    export = shared_data / "samples_with_violations" / "csv_export_2010-2020.csv"
    frame = pd.concat(read_export(export))
    return [_api_record(r) for r in frame.to_dict("records")] + _synthetic(7)


@pytest.fixture
def server(api_records: list[dict[str, Any]]) -> Iterator[SocrataServer]:
    with SocrataServer(api_records) as running:
        yield running


def _collect(fetch: SocrataPages) -> pd.DataFrame:
    frames = list(fetch)
    assert fetch.done
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _served_ids(server: SocrataServer) -> list[str]:
    return sorted(r["inspection_id"] for r in server.records)


def test_pages_cover_the_served_set_exactly(server: SocrataServer) -> None:
    fetch = fetch_pages(server.url, page_size=100, **FAST)
    pages = list(fetch)
    frame = pd.concat(pages, ignore_index=True)

    assert len(frame) == len(server.records) == 568
    assert sorted(frame["inspection_id"]) == _served_ids(server)
    assert frame["inspection_id"].is_unique
    assert [len(p) for p in pages] == [100] * 5 + [68]
    assert fetch.rows == 568 and fetch.pages == 6 and fetch.retries == 0
    assert list(frame.columns) == list(CANONICAL_COLUMNS)
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    sent = [r.params for r in server.requests]
    assert [p["$offset"] for p in sent] == ["0", "100", "200", "300", "400", "500"]
    assert {(p["$order"], p["$select"], p["$limit"]) for p in sent} == {(":id", ":*, *", "100")}
    assert "$where" not in sent[0]


def test_page_size_dividing_the_set_ends_on_an_empty_page(server: SocrataServer) -> None:
    fetch = fetch_pages(server.url, page_size=71, **FAST)  # 568 = 8 * 71
    frame = _collect(fetch)
    assert sorted(frame["inspection_id"]) == _served_ids(server)
    assert len(server.requests) == 9 and server.requests[-1].rows == 0
    assert fetch.pages == 8


def test_records_map_to_the_canonical_strings(server: SocrataServer, shared_data: Path) -> None:
    frame = _collect(fetch_pages(server.url, page_size=1000, **FAST)).set_index("inspection_id")
    export = pd.concat(
        read_export(shared_data / "samples_with_violations" / "csv_export_2010-2020.csv")
    ).set_index("inspection_id")
    row = export.loc["2363149"]  # AMIGOS SALUDABLES, 03/03/2020, License, Not Ready
    got = frame.loc["2363149"]
    assert got["inspection_date"] == "2020-03-03"
    assert got["license_number"] == row["license_number"] == "2717775"
    assert got["location"] == f"({row['latitude']}, {row['longitude']})"
    for column in ("dba_name", "facility_type", "risk", "address", "zip", "results", "violations"):
        assert got[column] == row[column], column
    # Fields the API omits (nulls) come back empty, never "nan" or "None".
    partial = export[export["aka_name"] == ""].index
    assert len(partial) > 0
    assert (frame.loc[partial, "aka_name"] == "").all()
    assert not frame.isin(["nan", "None", "NaN"]).any().any()


def test_app_token_is_sent_as_header(server: SocrataServer) -> None:
    server.required_token = "tok-123"
    with pytest.raises(SourceRequestRejected, match="HTTP 403"):
        list(fetch_pages(server.url, **FAST))
    frame = _collect(fetch_pages(server.url, app_token="tok-123", **FAST))
    assert len(frame) == 568
    assert server.requests[-1].headers["x-app-token"] == "tok-123"


def test_adjacent_date_windows_have_no_gap_and_no_overlap(server: SocrataServer) -> None:
    dates = sorted({r["inspection_date"][:10] for r in server.records})
    boundary = date.fromisoformat(dates[len(dates) // 2])
    on_boundary = {
        r["inspection_id"] for r in server.records if r["inspection_date"].startswith(str(boundary))
    }
    assert on_boundary, "the boundary must fall on a day with inspections"
    start = date.fromisoformat(dates[0])
    end = date.fromisoformat(dates[-1]) + timedelta(days=1)

    before = _collect(fetch_pages(server.url, since=start, until=boundary, page_size=50, **FAST))
    after = _collect(fetch_pages(server.url, since=boundary, until=end, page_size=50, **FAST))

    ids_before, ids_after = set(before["inspection_id"]), set(after["inspection_id"])
    assert ids_before.isdisjoint(ids_after)
    assert sorted(ids_before | ids_after) == _served_ids(server)
    assert on_boundary <= ids_after
    assert (before["inspection_date"] < str(boundary)).all()
    assert (after["inspection_date"] >= str(boundary)).all()
    assert server.requests[-1].params["$where"] == (
        f"inspection_date >= '{boundary}T00:00:00' AND inspection_date < '{end}T00:00:00'"
    )


def test_updated_since_picks_up_a_corrected_record(server: SocrataServer) -> None:
    first = fetch_pages(server.url, page_size=200, **FAST)
    _collect(first)
    watermark = first.max_updated_at
    assert watermark == server.latest_updated_at

    corrected = server.records[10]["inspection_id"]
    server.update(corrected, results="Fail", risk="Risk 2 (Medium)")

    second = fetch_pages(server.url, updated_since=watermark, page_size=200, **FAST)
    changed = _collect(second).set_index("inspection_id")
    assert corrected in changed.index
    assert changed.loc[corrected, "results"] == "Fail"
    assert changed.loc[corrected, "risk"] == "Risk 2 (Medium)"
    # The inclusive watermark re-reads at most the record stamped exactly at it.
    assert len(changed) <= 2
    assert second.max_updated_at is not None and second.max_updated_at > watermark

    third = fetch_pages(
        server.url, updated_since=second.max_updated_at + timedelta(seconds=1), **FAST
    )
    assert _collect(third).empty and third.max_updated_at is None


def test_aware_watermark_is_sent_in_utc() -> None:
    from datetime import timezone

    central = timezone(timedelta(hours=-6))
    where = build_where(
        since=None, until=None, updated_since=datetime(2024, 1, 1, 6, 30, tzinfo=central)
    )
    assert where == ":updated_at >= '2024-01-01T12:30:00.000'"


def test_transient_failures_are_retried(server: SocrataServer) -> None:
    server.inject(
        Fault(status=429, retry_after=0.05),
        Fault(),
        Fault(status=500),
        Fault(status=503),
        Fault(),
        Fault(delay_s=3.0),  # longer than the client's timeout
        Fault(truncate="connection"),
        Fault(truncate="json"),
    )
    fetch = fetch_pages(server.url, page_size=200, max_wait_s=10.0, backoff_s=0.01, timeout_s=1.0)
    sleeps: list[float] = []
    fetch.sleep = sleeps.append
    frame = _collect(fetch)

    assert sorted(frame["inspection_id"]) == _served_ids(server)
    assert frame["inspection_id"].is_unique
    assert fetch.retries == 6
    assert sleeps[0] >= 0.05  # Retry-After honoured over a tiny backoff
    assert all(s <= 10.0 for s in sleeps)


def test_a_source_that_stays_down_raises_naming_the_url(server: SocrataServer) -> None:
    server.inject(*[Fault(status=500)] * 1000)
    fetch = fetch_pages(server.url, max_wait_s=0.3, backoff_s=0.02, timeout_s=1.0)
    with pytest.raises(SourceUnavailable) as caught:
        list(fetch)
    assert server.url in str(caught.value)
    assert "HTTP 500" in caught.value.last_error
    assert caught.value.attempts >= 2
    assert not fetch.done


def test_a_retry_after_beyond_the_budget_fails_at_once(server: SocrataServer) -> None:
    server.inject(Fault(status=429, retry_after=3600))
    with pytest.raises(SourceUnavailable, match="HTTP 429"):
        list(fetch_pages(server.url, max_wait_s=1.0, backoff_s=0.01))
    assert len(server.requests) == 1


def test_a_refused_connection_raises_naming_the_url() -> None:
    with SocrataServer([]) as gone:
        url = gone.url
    with pytest.raises(SourceUnavailable) as caught:
        list(fetch_pages(url, max_wait_s=0.2, backoff_s=0.02, timeout_s=0.5))
    assert url in str(caught.value)
    assert "ConnectError" in caught.value.last_error


def test_a_bad_query_is_not_retried(server: SocrataServer) -> None:
    client = httpx.Client()
    try:
        fetch = fetch_pages(server.url, client=client, **FAST)
        fetch.params["$order"] = "dba_name"  # the test server only orders by :id
        with pytest.raises(SourceRequestRejected, match="HTTP 400"):
            list(fetch)
    finally:
        client.close()
    assert len(server.requests) == 1


def test_schema_drift_is_absorbed(server: SocrataServer) -> None:
    server.drift(
        extra_fields={"new_ward": "42", "inspector_notes": {"x": 1}}, drop_fields={"aka_name"}
    )
    server.inject(Fault(), Fault(drop_fields=frozenset({"violations", "location", "latitude"})))
    fetch = fetch_pages(server.url, page_size=300, **FAST)
    pages = list(fetch)
    frame = pd.concat(pages, ignore_index=True)

    assert sorted(frame["inspection_id"]) == _served_ids(server)
    assert list(frame.columns) == list(CANONICAL_COLUMNS)
    assert (frame["aka_name"] == "").all()
    assert (pages[1]["violations"] == "").all() and (pages[1]["latitude"] == "").all()
    assert (pages[0]["violations"] != "").any()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-01-15T00:00:00.000", "2020-01-15"),
        ("2020-01-15T00:00:00", "2020-01-15"),
        ("2020-01-15T00:00:00.000Z", "2020-01-15"),
        ("2020-01-15", "2020-01-15"),
        ("01/15/2020", "01/15/2020"),
        ("2020-13-45T00:00:00.000", "2020-13-45T00:00:00.000"),
        ("2020-01-15T00:00:00.000garbage", "2020-01-15T00:00:00.000garbage"),
        ("", ""),
    ],
)
def test_inspection_dates_are_normalised_only_when_well_formed(raw: str, expected: str) -> None:
    assert normalise_date(raw) == expected


def test_location_and_value_shapes() -> None:
    frame = records_to_frame(
        [
            {"inspection_id": "1", "location": {"latitude": "41.9", "longitude": "-87.6"}},
            {"inspection_id": 2, "location": {"type": "Point", "coordinates": [-87.7, 41.8]}},
            {"inspection_id": "3", "location": "(41.7, -87.5)", "latitude": 41.7, "zip": None},
            {"inspection_id": "4", ":id": "row-x", ":updated_at": "2024-01-01T00:00:00.000Z"},
        ]
    )
    assert list(frame["inspection_id"]) == ["1", "2", "3", "4"]
    assert list(frame["location"]) == ["(41.9, -87.6)", "(41.8, -87.7)", "(41.7, -87.5)", ""]
    assert frame.loc[2, "latitude"] == "41.7" and frame.loc[2, "zip"] == ""
    assert list(frame.columns) == list(CANONICAL_COLUMNS)
