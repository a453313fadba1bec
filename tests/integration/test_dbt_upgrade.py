"""A warehouse built before a model became incremental: a clear error from dbt, and detection for
the transform flow, which then rebuilds once with --full-refresh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support.dbt_sandbox import dbt, insert_raw, sandbox, settings_for

from warehouse.dbt import run_dbt, tables_without_watermark

BATCH = uuid.UUID("00000000-0000-0000-0000-00000000a9a9")
ROWS = [
    (1, "Cafe A", 1001, "Restaurant", "Risk 1 (High)", "1 A St", "60601", "2020-01-10", "Canvass",
     "Fail", None),
    (2, "Cafe A", 1001, "Restaurant", "Risk 1 (High)", "1 A St", "60601", "2020-06-01", "Canvass",
     "Pass", None),
]  # fmt: skip


@pytest.fixture(scope="module")
def old_warehouse(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Built, then the history stripped of loaded_at, as a table from before it was incremental."""
    target = tmp_path_factory.mktemp("dbt-upgrade-target")
    with sandbox(warehouse_url, "canvass_upgrade") as url:
        with psycopg.connect(url) as conn:
            insert_raw(conn, ROWS, BATCH)
        dbt(["build"], url, target)
        with psycopg.connect(url) as conn:
            conn.execute("alter table intermediate.int_inspections__history drop column loaded_at")
        yield {"url": url, "target": target}


def test_the_stale_table_is_detected(old_warehouse: dict) -> None:
    with psycopg.connect(old_warehouse["url"]) as conn:
        stale = tables_without_watermark(conn, Path(old_warehouse["target"]) / "manifest.json")
    assert stale == ["intermediate.int_inspections__history"]


def test_dbt_says_how_to_rebuild_it(old_warehouse: dict) -> None:
    invocation = run_dbt(
        ["run", "--select", "int_inspections__history"],
        settings_for(old_warehouse["url"]),
        target_path=old_warehouse["target"],
    )
    messages = " ".join(str(r.get("message")) for r in invocation.results)
    assert not invocation.success
    assert "built before its model became incremental" in messages + str(invocation.error)
    assert "--full-refresh" in messages + str(invocation.error)


def test_a_full_refresh_restores_the_watermark(old_warehouse: dict) -> None:
    dbt(["build", "--full-refresh"], old_warehouse["url"], old_warehouse["target"])
    with psycopg.connect(old_warehouse["url"]) as conn:
        stale = tables_without_watermark(conn, Path(old_warehouse["target"]) / "manifest.json")
        history = conn.execute(
            "select count(loaded_at) from intermediate.int_inspections__history"
        ).fetchone()[0]
    assert stale == []
    assert history == 2


def test_the_transform_flow_rebuilds_a_stale_table_by_itself(
    old_warehouse: dict, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.transform import transform

    url = old_warehouse["url"]
    with psycopg.connect(url) as conn:
        conn.execute("alter table intermediate.int_inspections__history drop column loaded_at")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CANVASS_DBT_TARGET_DIR", str(old_warehouse["target"]))
    result = transform()
    with psycopg.connect(url) as conn:
        stale = tables_without_watermark(conn, Path(old_warehouse["target"]) / "manifest.json")
        refreshed = conn.execute(
            "select command from meta.dbt_invocations order by finished_at desc limit 1"
        ).fetchone()[0]
    assert result["statuses"].get("error", 0) == 0
    assert stale == []
    assert refreshed == "build --full-refresh"
