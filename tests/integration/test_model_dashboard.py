"""The model dashboard built in-process against the marts of hand-made rows
(tests/support/delivery_seed.py): the leaderboard, precision by window, fairness over time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource, DataTable, Div
from support.delivery_seed import create_delivery_database, drop_delivery_database, reader_settings

from dashboards.model.data import read
from dashboards.model.main import build_document


@pytest.fixture(scope="module")
def seeded(warehouse_url: str) -> Iterator[str]:
    url = create_delivery_database(warehouse_url)
    yield url
    drop_delivery_database(warehouse_url, url)


def _text(doc: Document) -> str:
    return " ".join(div.text for div in doc.select({"type": Div}))


def _sources(doc: Document, column: str) -> list[dict]:
    return [s.data for s in doc.select({"type": ColumnDataSource}) if column in s.data]


def test_the_leaderboard_ranks_the_deployed_group_above_the_baseline(seeded: str) -> None:
    view = read(reader_settings(seeded))
    doc = Document()
    build_document(doc, view)
    (board,) = [t.source.data for t in doc.select({"type": DataTable})]
    assert board["candidate"][0].startswith("★ RandomForestClassifier")
    assert board["candidate"][1] == "baseline: random"
    assert board["mean_precision"] == [pytest.approx(0.4), pytest.approx(0.225)]
    assert board["worst_precision"] == [pytest.approx(0.3), pytest.approx(0.2)]
    assert board["windows"] == [2, 2]
    assert board["mean_days_earlier"][0] == pytest.approx(3.0)
    assert "0.400 on average, above the best baseline (random, 0.225)" in _text(doc)


def test_precision_by_window_draws_one_line_per_candidate(seeded: str) -> None:
    doc = Document()
    build_document(doc, read(reader_settings(seeded)))
    lines = {
        d["candidate_name"][0]: list(d["window_precision"])
        for d in _sources(doc, "window_precision")
    }
    assert sorted(lines.values()) == [[0.2, 0.25], [0.5, 0.3]]


def test_fairness_over_time_sets_realised_beside_selection(seeded: str) -> None:
    doc = Document()
    build_document(doc, read(reader_settings(seeded)))
    (zip_60601,) = [
        d for d in _sources(doc, "disparity") if list(d["attribute_value"]) == ["60601"]
    ]
    assert list(zip_60601["disparity"]) == [1.5]
    assert list(zip_60601["disparity_at_selection"]) == [pytest.approx(1.1)]
    assert "1 outside the band" in _text(doc)
    assert _text(doc).count("Good:") == 3  # every panel says what good looks like


def test_before_any_training_the_page_says_so(warehouse_url: str) -> None:
    url = create_delivery_database(warehouse_url, seed=False)
    try:
        doc = Document()
        build_document(doc, read(reader_settings(url)))
        assert "run <code>canvass train</code>" in _text(doc)
        assert "No scoring run has inspections since it yet" in _text(doc)
    finally:
        drop_delivery_database(warehouse_url, url)
