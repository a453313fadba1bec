"""The monitoring dashboard built in-process against the monitoring marts of hand-made rows
(tests/support/delivery_seed.py): the SLA board, the drift table and the precision chart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource, DataTable, Div
from support.delivery_seed import create_delivery_database, drop_delivery_database, reader_settings

from dashboards.monitoring.data import read
from dashboards.monitoring.main import build_document


@pytest.fixture(scope="module")
def seeded(warehouse_url: str) -> Iterator[str]:
    url = create_delivery_database(warehouse_url)
    yield url
    drop_delivery_database(warehouse_url, url)


def _text(doc: Document) -> str:
    return " ".join(div.text for div in doc.select({"type": Div}))


def test_the_page_shows_the_newest_board_drift_and_precision(seeded: str) -> None:
    doc = Document()
    build_document(doc, read(reader_settings(seeded)))
    tables = [t.source.data for t in doc.select({"type": DataTable})]
    slas = next(t for t in tables if "sla_name" in t)
    drift = next(t for t in tables if "drift_status" in t)
    assert list(slas["sla_name"]) == ["freshness.newest_inspection", "time_to_completion.train"]
    assert list(slas["sla_status"]) == ["breach", "ok"]
    assert list(drift["drift_status"])[0] == "alert"  # worst first
    assert "1 breached" in _text(doc) and "1 alert(s)" in _text(doc)
    points = [
        s.data for s in doc.select({"type": ColumnDataSource}) if "realised_precision" in s.data
    ]
    assert [list(p["realised_precision"]) for p in points] == [[1.0]]
    assert "Good:" in _text(doc)  # every panel says what good looks like


def test_the_history_panels_show_every_run(seeded: str) -> None:
    """Drift feature x run, the score band of each scoring run, the SLA status of each monitor
    run and the data-quality measures against their thresholds."""
    doc = Document()
    build_document(doc, read(reader_settings(seeded)))
    sources = [s.data for s in doc.select({"type": ColumnDataSource})]
    cells = [d for d in sources if "status" in d and "day" in d]
    drift_cells = next(d for d in cells if "prior_fails" in d["name"])
    assert list(drift_cells["status"]) == ["alert"]  # psi alert beats ks ok: the worst wins
    sla_cells = next(d for d in cells if "freshness.newest_inspection" in d["name"])
    assert sorted(zip(sla_cells["day"], sla_cells["status"], strict=True))[:2] == [
        ("2024-02-01", "ok"),
        ("2024-03-01", "breach"),
    ]
    (band,) = [d for d in sources if "score_median" in d]
    assert len(band["score_median"]) == 3  # the three scoring runs
    assert list(band["establishments_scored"]) == [3, 2, 5]


def test_before_any_monitor_run_the_page_says_so(warehouse_url: str) -> None:
    url = create_delivery_database(warehouse_url, seed=False)
    try:
        doc = Document()
        build_document(doc, read(reader_settings(url)))
        assert "No monitor run yet" in _text(doc)
        assert "Nothing monitored yet" in _text(doc)
    finally:
        drop_delivery_database(warehouse_url, url)


def test_an_unbuilt_warehouse_names_the_command(warehouse_url: str) -> None:
    import dataclasses

    from warehouse.settings import get_settings

    down = dataclasses.replace(
        get_settings(),
        database_url="postgresql://postgres@127.0.0.1:1/none",
        reader_database_url=None,
    )
    doc = Document()
    build_document(doc, read(down))
    assert "canvass warehouse start" in _text(doc)
