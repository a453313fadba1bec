"""The lake's export: raw's rows come out as Parquet with every value as Postgres holds it."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from support.dbt_sandbox import insert_raw, sandbox

from warehouse import lake


def _row(i: int) -> tuple:
    violations = [
        None,
        "",
        '1. TITLE - Comments: a "quoted" word, a comma\nand a second line',
        "2. TITLE - Comments: ends with a line break\r\n",
    ][i % 4]
    return (
        1000 + i, f"PLACE {i}", 10 + i, "Restaurant", "Risk 1 (High)", "1 MAIN ST", "60601",
        "2013-01-02", "Canvass", "Pass", violations,
    )  # fmt: skip


def test_export_keeps_line_breaks_quotes_empty_text_and_nulls_across_blocks(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # blocks of 512 bytes: many rows' quoted line breaks fall across a block's end
    monkeypatch.setattr(lake, "_BLOCK_BYTES", 512)
    with sandbox(warehouse_url, "canvass_lake") as url, psycopg.connect(url) as conn:
        insert_raw(conn, [_row(i) for i in range(200)], uuid.uuid4())
        conn.commit()
        exported = {e.table: e for e in lake.export_raw(conn, tmp_path)}
        held = conn.execute(
            "select inspection_id, violations, loaded_at from raw.food_inspections order by 1"
        ).fetchall()
    assert exported["food_inspections"].rows == 200
    assert exported["violation_counts"].rows == 0  # an empty table is a folder too
    written = pq.read_table(tmp_path / "raw" / "food_inspections").sort_by("inspection_id")
    assert written.column("inspection_id").to_pylist() == [r[0] for r in held]
    assert written.column("violations").to_pylist() == [r[1] for r in held]
    assert written.column("loaded_at").to_pylist() == [r[2] for r in held]
    assert written.schema.field("license_number").type == "int64"
    assert str(written.schema.field("loaded_at").type) == "timestamp[us, tz=UTC]"
