"""The establishment page built in-process against the hand-made delivery marts
(tests/support/delivery_seed.py): who it is, its score over past runs, the features behind the
score with weights and direction, every inspection, and the states without an establishment."""

from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Iterator

import pytest
from bokeh.document import Document
from support.delivery_seed import (
    UNLICENSED_ID,
    create_delivery_database,
    drop_delivery_database,
    reader_settings,
)

from dashboards.establishment.data import EstablishmentView, direction, read
from dashboards.establishment.main import build_document
from dashboards.marts import NOT_ANSWERING
from dashboards.pages import establishment_link
from warehouse.settings import Settings


@pytest.fixture(scope="module")
def settings(warehouse_url: str) -> Iterator[Settings]:
    url = create_delivery_database(warehouse_url)
    yield reader_settings(url)
    drop_delivery_database(warehouse_url, url)


def test_the_page_reads_the_establishment_its_inspections_and_scores(settings: Settings) -> None:
    view = read("1001", None, settings)
    assert view.problem is None
    assert view.establishment.iloc[0]["establishment_name"] == "ALPHA GRILL"
    # every inspection, newest first
    assert [str(d) for d in view.inspections["inspection_date"]] == [
        "2023-06-01",
        "2022-05-24",
        "2022-05-10",
        "2021-05-03",
    ]
    # the three runs that ranked it, oldest first, by whichever model scored then
    history = view.score_history
    assert history["score"].astype(float).tolist() == pytest.approx([0.30, 0.45, 0.91])
    assert history["model_id"].tolist() == ["model-old", "model-new", "model-new"]
    assert history["is_current_run"].tolist() == [False, False, True]


def test_a_license_finds_the_same_page(settings: Settings) -> None:
    by_license = read(None, 1003, settings)
    assert by_license.establishment.iloc[0]["establishment_name"] == "CHARLIE SCHOOL CAFETERIA"


def test_the_page_shows_rank_history_features_and_inspections(settings: Settings) -> None:
    parts = build_document(Document(), read("1001", None, settings))
    header = parts["header"].text
    assert "ALPHA GRILL" in header and "Ranked <b>#1</b> as of 2024-03-01" in header
    assert "score <b>0.910</b>" in header
    chart = parts["score_history"]
    (line, dots) = chart.renderers
    assert [round(s, 2) for s in dots.data_source.data["score"]] == [0.30, 0.45, 0.91]
    assert dots.data_source.data["rank_text"][-1] == "#1 of 5"
    features = parts["features"].text
    first = features.split("<tr>")[1]  # the header row has a style, so it is not split on
    assert "Failed inspections before" in first and "40%" in first
    # across the five establishments of the run, more prior fails go with higher scores
    assert "↑ higher values, higher scores" in first
    assert parts["inspections"].source.data["result"][0] == "fail"
    assert len(parts["inspections"].source.data["inspection_date"]) == 4


def test_an_establishment_without_a_license_or_a_current_score(settings: Settings) -> None:
    parts = build_document(Document(), read(UNLICENSED_ID, None, settings))
    assert "GOLF HOT DOG CART" in parts["header"].text and "license —" in parts["header"].text
    assert "The City has no inspection of it on record" in parts["inspections_title"].text
    foxtrot = build_document(Document(), read("1006", None, settings))  # scored in January only
    assert "Not in the current ranking" in foxtrot["header"].text
    assert "No features recorded for it in the current run" in foxtrot["features"].text


def test_an_unknown_or_missing_establishment_says_where_to_go(settings: Settings) -> None:
    unknown = read("no-such-place", None, settings)
    assert unknown.establishment.empty and unknown.problem is None
    parts = build_document(Document(), unknown, asked="no-such-place")
    assert "No establishment no-such-place in the warehouse." in parts["header"].text
    assert "href='/ranking'" in parts["header"].text
    nothing = build_document(Document())  # opened without ?id= or ?license=
    assert "No establishment given." in nothing["header"].text


def test_an_unreachable_warehouse_is_said_not_raised(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = dataclasses.replace(
        settings, database_url=f"postgresql://postgres@127.0.0.1:{port}/canvass"
    )
    view = read("1001", None, down)
    assert view.problem == NOT_ANSWERING
    assert "warehouse start" in build_document(Document(), view)["header"].text


def test_direction_words_and_the_link_from_the_ranking() -> None:
    assert direction(0.5).startswith("↑") and direction(-0.3).startswith("↓")
    assert direction(0.05) == "· hardly moves the score" and direction(None) == ""
    link = establishment_link("id with space&", "its page")
    assert re.search(r"href='/establishment\?id=id%20with%20space%26'", link)
    assert EstablishmentView().establishment.empty
