"""The ranking dashboard built in-process against a real Postgres (hand-made rows, see
tests/support/delivery_seed.py): the table's ColumnDataSource, the filters, the explanation, the empty state."""

from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest
from bokeh.application import Application
from bokeh.application.handlers.directory import DirectoryHandler
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from support.delivery_seed import (
    UNLICENSED_ID,
    create_delivery_database,
    drop_delivery_database,
    reader_settings,
)

from dashboards import RANKING_APP_DIR
from dashboards.ranking import app_hooks
from dashboards.ranking.data import RankingStore, ScoringRun
from dashboards.ranking.main import build_document, model_html
from warehouse.settings import get_settings

LATEST_RUN_NAMES = [
    "ALPHA GRILL",
    "BRAVO GROCERY",
    "CHARLIE SCHOOL CAFETERIA",
    "GOLF HOT DOG CART",
    "ECHO TAQUERIA",
]


@pytest.fixture(scope="module")
def delivery_url(warehouse_url: str) -> Iterator[str]:
    url = create_delivery_database(warehouse_url)
    yield url
    drop_delivery_database(warehouse_url, url)


@pytest.fixture
def dashboard(delivery_url: str) -> dict[str, Any]:
    return build_document(Document(), RankingStore(reader_settings(delivery_url)))


def test_the_table_holds_the_latest_run_in_rank_order(dashboard: dict[str, Any]) -> None:
    data = dashboard["source"].data
    assert data["name"] == LATEST_RUN_NAMES
    assert data["rank"] == [1, 2, 3, 4, 5]
    assert data["establishment_id"][3] == UNLICENSED_ID
    assert data["score"][0] == pytest.approx(0.91)
    assert data["risk"] == ["1", "2", "1", "—", "1"]
    assert data["last_result"][1] == "pass with conditions"
    # ECHO's last visit found it not ready, after its last pass: date and result of that visit
    assert data["last_result"][4] == "not ready"
    assert data["last_visit_date"][4] == pd.Timestamp("2024-01-10").timestamp() * 1000.0
    header = dashboard["header"].text
    # the model as people name it (version, alias, algorithm), its id kept; times say their zone
    assert "version 2</b> (champion): RandomForestClassifier" in header
    assert "model-new" in header
    assert "2024-03-01" in header
    assert "scored 2024-03-01 06:00 UTC" in header
    assert "Showing <b>5</b> of 5" in dashboard["summary"].text
    assert dashboard["content"].visible


def test_filters_change_the_rows(dashboard: dict[str, Any]) -> None:
    source = dashboard["source"]
    assert dashboard["facility_group"].options == [
        "All",
        "grocery",
        "mobile",
        "restaurant",
        "school",
    ]
    dashboard["facility_group"].value = "restaurant"
    assert source.data["name"] == ["ALPHA GRILL", "ECHO TAQUERIA"]
    dashboard["zip"].value = "60622"
    assert source.data["name"] == ["ECHO TAQUERIA"]
    dashboard["facility_group"].value = "All"
    assert source.data["name"] == ["GOLF HOT DOG CART", "ECHO TAQUERIA"]
    dashboard["zip"].value = "All"
    dashboard["risk"].value = "1"
    assert source.data["name"] == ["ALPHA GRILL", "CHARLIE SCHOOL CAFETERIA", "ECHO TAQUERIA"]
    dashboard["top_n"].value = 2
    assert source.data["name"] == ["ALPHA GRILL", "CHARLIE SCHOOL CAFETERIA"]
    assert "Showing <b>2</b> of 5" in dashboard["summary"].text
    dashboard["risk"].value = "All"
    assert source.data["name"] == LATEST_RUN_NAMES[:2]


@pytest.mark.parametrize(
    ("words", "names"),
    [
        ("grill", ["ALPHA GRILL"]),
        ("  Milwaukee  ", ["ECHO TAQUERIA"]),  # the address, any case, spaces trimmed
        ("1003", ["CHARLIE SCHOOL CAFETERIA"]),  # the license
        ("n state", ["BRAVO GROCERY"]),  # every word must match: 200 N STATE ST
        ("taco truck", []),
        ("", LATEST_RUN_NAMES),
    ],
)
def test_search_finds_by_name_address_or_license(
    dashboard: dict[str, Any], words: str, names: list[str]
) -> None:
    dashboard["search"].value_input = words
    assert dashboard["source"].data["name"] == names


def test_establishments_without_coordinates_are_listed_and_counted(
    dashboard: dict[str, Any],
) -> None:
    data = dashboard["source"].data
    assert "GOLF HOT DOG CART" in data["name"]  # no coordinates, still in the table
    assert "1 of them have no coordinates" in dashboard["summary"].text
    dashboard["facility_group"].value = "restaurant"
    assert "no coordinates" not in dashboard["summary"].text


def test_selecting_a_row_explains_its_score(dashboard: dict[str, Any]) -> None:
    dashboard["source"].selected.indices = [0]
    text = dashboard["explanation"].text
    assert "ALPHA GRILL" in text
    assert "91%" in text
    # model-new weighs prior_fails most: it is listed first, with its value and weight
    first_row = text.split("<tr>")[1]  # the header row has a style, so it is not split on
    assert "Failed inspections before" in first_row
    assert "<b>2</b>" in first_row
    assert "40%" in first_row
    assert "Days since the last inspection" in text
    # every feature of the deployed model is listed with a weight: the two one-hot zips add up to
    # 15%, and a feature the model gave nothing shows 0%, not a blank
    rows = {
        re.search(r"<td>([^<]+)</td>", r).group(1): re.findall(r">(\d+%|<1%)</td>", r)
        for r in text.split("<tr>")[1:]
    }
    assert set(rows) == {
        "Failed inspections before",
        "Days since the last inspection",
        "Its fail rate, last year",
        "Zip",
        "Last result",
    }
    assert all(len(weights) == 1 for weights in rows.values()), rows
    assert rows["Zip"][-1] == "15%" and rows["Last result"][-1] == "0%"


def test_the_map_and_the_table_share_one_source(dashboard: dict[str, Any]) -> None:
    table_source = dashboard["table"].source
    dots = [r for r in dashboard["map"].renderers if r.data_source is table_source]
    assert len(dots) == 1  # the establishments: the table's own rows
    others = {id(r.data_source) for r in dashboard["map"].renderers} - {id(table_source)}
    assert others == {id(dashboard["zip_areas"])}  # the basemap under them
    assert isinstance(table_source, ColumnDataSource)


def test_an_empty_warehouse_shows_a_readable_empty_state(warehouse_url: str) -> None:
    url = create_delivery_database(warehouse_url, seed=False)
    try:
        dashboard = build_document(Document(), RankingStore(reader_settings(url)))
    finally:
        drop_delivery_database(warehouse_url, url)
    assert "Nothing is scored yet" in dashboard["header"].text
    assert not dashboard["content"].visible
    assert not dashboard["filters"].visible
    assert dashboard["source"].data["name"] == []
    dashboard["facility_group"].value = "All"  # filters still work on nothing
    assert dashboard["source"].data["rank"] == []


def test_an_unreachable_database_is_said_not_raised() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = dataclasses.replace(
        get_settings(),
        database_url=f"postgresql://postgres@127.0.0.1:{port}/canvass",
        reader_database_url=None,
    )
    dashboard = build_document(Document(), RankingStore(settings))
    assert "does not answer" in dashboard["header"].text
    assert "<code>canvass warehouse start</code>" in dashboard["header"].text  # the right command
    assert dashboard["source"].data["name"] == []


def test_the_directory_app_builds_with_its_theme(
    delivery_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", delivery_url)
    monkeypatch.delenv("CANVASS_READER_DATABASE_URL", raising=False)
    handler = DirectoryHandler(filename=str(RANKING_APP_DIR))
    doc = Application(handler).create_document()
    assert handler.error is None, handler.error_detail
    assert [root.name for root in doc.roots] == ["ranking_layout"]
    assert doc.theme is not None
    source = doc.select_one({"name": "ranking"})
    assert source.data["name"] == LATEST_RUN_NAMES


def test_app_hooks_create_one_store_per_server(monkeypatch: pytest.MonkeyPatch) -> None:
    class ServerContext:
        pass

    context = ServerContext()
    app_hooks.on_server_loaded(context)
    store = context.ranking_store
    assert isinstance(store, RankingStore)
    app_hooks.on_server_unloaded(context)
    assert not hasattr(context, "ranking_store")


def test_the_route_walks_the_top_of_the_list_nearest_next(dashboard: dict[str, Any]) -> None:
    def stops_in(text: str) -> list[str]:
        return re.findall(r"<td><b>([^<]+)</b>", text)

    text = dashboard["route"].text
    assert "Route as of 2024-03-01: 5 stops" in text
    # ALPHA first (rank 1); BRAVO 0.3 km away; CHARLIE 4.6 km from BRAVO (ECHO 4.8); the cart
    # without coordinates last, to be found by address
    assert stops_in(text) == [
        "ALPHA GRILL",
        "BRAVO GROCERY",
        "CHARLIE SCHOOL CAFETERIA",
        "ECHO TAQUERIA",
        "GOLF HOT DOG CART",
    ]
    assert "0.3 km" in text and "4.6 km" in text and "about 7.9 km" in text
    assert "1 without coordinates at the end" in text
    dashboard["stops"].value = 2
    assert stops_in(dashboard["route"].text) == ["ALPHA GRILL", "BRAVO GROCERY"]
    dashboard["facility_group"].value = "school"  # the route follows the list's filters
    assert stops_in(dashboard["route"].text) == ["CHARLIE SCHOOL CAFETERIA"]


def test_the_list_downloads_as_csv_named_after_the_run(dashboard: dict[str, Any]) -> None:
    (callback,) = dashboard["download"].js_event_callbacks["button_click"]
    assert callback.args["source"] is dashboard["source"]  # the rows on screen, as filtered
    assert callback.args["filename"] == "canvass-ranking-2024-03-01.csv"
    (printing,) = dashboard["print_route"].js_event_callbacks["button_click"]
    assert printing.args["route"] is dashboard["route"]


def test_clearing_the_search_after_leaving_the_box_shows_everything(
    dashboard: dict[str, Any],
) -> None:
    search = dashboard["search"]
    search.value_input = "grill"
    search.value = "grill"  # the browser commits the text when the box loses focus
    assert dashboard["source"].data["name"] == ["ALPHA GRILL"]
    search.value_input = ""  # then the user empties it again
    assert dashboard["source"].data["name"] == LATEST_RUN_NAMES


def test_the_map_draws_approximate_zip_areas_offline(dashboard: dict[str, Any]) -> None:
    areas = dashboard["zip_areas"].data
    # the zips of the ranking's located establishments (GOLF HOT DOG CART has no coordinates)
    assert sorted(areas["zip"]) == ["60601", "60614", "60622"]
    outlines = zip(areas["xs"], areas["ys"], strict=True)
    assert all(len(xs) >= 3 and len(xs) == len(ys) for xs, ys in outlines)


def test_a_hash_model_id_is_shortened_with_the_whole_in_its_tooltip() -> None:
    run = ScoringRun("875d3b1908cbf17ed93b8f5bcb8461e7", date(2024, 3, 1), None, 10)
    text = model_html(run)
    assert "875d3b19…" in text and "title='875d3b1908cbf17ed93b8f5bcb8461e7'" in text
