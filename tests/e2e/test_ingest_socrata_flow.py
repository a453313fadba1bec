"""The ingest flow against a Socrata-compatible server: a historic load, then an incremental one
that continues from the watermark and picks up the record the City corrected in between."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from support.socrata_server import SocrataServer

from warehouse.scratch import scratch_database
from warehouse.settings import parse_database_url


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "inspection_id": str(7_100_000 + i),
            "dba_name": f"WATERMARK CAFE {i}",
            "license_": str(7_200_000 + i),
            "facility_type": "Restaurant",
            "risk": "Risk 1 (High)",
            "address": f"{200 + i} N STATE ST",
            "city": "CHICAGO",
            "state": "IL",
            "zip": "60601",
            "inspection_date": f"2024-03-{1 + i % 28:02d}T00:00:00.000",
            "inspection_type": "Canvass",
            "results": "Pass",
            "latitude": "41.886",
            "longitude": "-87.628",
        }
        for i in range(n)
    ]


@pytest.fixture
def own_database(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database of this test's own, on the session's server."""
    with scratch_database(parse_database_url(warehouse_url), prefix="canvass_socrata") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        yield url


def test_incremental_load_continues_from_the_watermark(
    own_database: str, prefect_harness: None
) -> None:
    from flows.ingest import ingest

    with SocrataServer(_records(120)) as server:
        url, latest = server.url, None
        first = ingest(source=url)
        assert (first["rows_landed"], first["rows_inserted"]) == (120, 120)

        corrected = "7100005"
        server.update(corrected, results="Fail")
        second = ingest(source=url)
        latest = server.latest_updated_at

    # Only records changed since the watermark come back (the one stamped at it may repeat).
    assert second["rows_landed"] <= 2
    assert (second["rows_inserted"], second["rows_updated"]) == (0, 1)
    with psycopg.connect(own_database) as conn:
        assert conn.execute(
            "select results from raw.food_inspections where inspection_id = %s", [int(corrected)]
        ).fetchone() == ("Fail",)
        assert conn.execute(
            "select results from raw.food_inspections_history where inspection_id = %s",
            [int(corrected)],
        ).fetchall() == [("Pass",)]
        watermark = conn.execute(
            "select last_updated_at from meta.ingest_watermarks where source = %s", [url]
        ).fetchone()[0]
        assert watermark == latest
        batches = conn.execute(
            "select status, parameters->>'updated_since' is not null from meta.ingest_batches "
            "order by started_at"
        ).fetchall()
    assert batches == [("succeeded", False), ("succeeded", True)]
