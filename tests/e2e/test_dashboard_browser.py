"""The ranking dashboard served for real and driven in Debian's Chromium with Playwright.

Serves `python -m dashboards` on a free port in a subprocess, against a database of hand-made rows
(tests/support/delivery_seed.py), and checks what a person sees: the ranked table with the top
establishment, a filter, the explanation panel. Never downloads a browser: /usr/bin/chromium or skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.delivery_seed import create_delivery_database, drop_delivery_database
from support.served import (
    CHROMIUM,
    CHROMIUM_ARGS,
    chromium_page,
    free_port,
    require_browser,
    serving,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard_url(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    database_url = create_delivery_database(warehouse_url)
    port = free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "server.log"
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("CANVASS_READER_DATABASE_URL", None)
    url = f"http://127.0.0.1:{port}/ranking"
    try:
        with serving([sys.executable, "-m", "dashboards", "--port", str(port)], url, log_path, env):
            yield url
    finally:
        drop_delivery_database(warehouse_url, database_url)


def test_the_ranked_table_shows_the_top_establishment(dashboard_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            page.goto(dashboard_url)
            rows = page.locator(".slick-row")
            expect(rows.first).to_contain_text("ALPHA GRILL", timeout=30_000)
            expect(rows).to_have_count(5)
            expect(page.get_by_text("model-new").first).to_be_visible()

            page.locator("select").first.select_option("school")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("CHARLIE SCHOOL CAFETERIA")

            page.locator("select").first.select_option("All")
            expect(rows).to_have_count(5)
            expect(page.get_by_text("1 of them have no coordinates")).to_be_visible()
            # the basemap reached the browser with the page: an outline for each located zip
            areas = page.evaluate(
                "Bokeh.documents[0].get_model_by_name('zip_areas').data.zip.length"
            )
            assert areas == 3

            search = page.get_by_placeholder("name, address or license")
            search.fill("taqueria")  # filters as the user types
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("ECHO TAQUERIA")
            search.fill("")
            expect(rows).to_have_count(5)
            rows.first.locator(".slick-cell").nth(1).click()
            expect(page.get_by_text("What the model saw")).to_be_visible()
            expect(page.get_by_text("Failed inspections before")).to_be_visible()

            # the list as filtered downloads as CSV, built in the browser
            search.fill("grill")
            expect(rows).to_have_count(1)
            with page.expect_download() as download:
                page.get_by_role("button", name="Download the list (CSV)").click()
            assert download.value.suggested_filename == "canvass-ranking-2024-03-01.csv"
            lines = Path(download.value.path()).read_text().splitlines()
            assert lines[0].startswith("rank,score,license,name,address,zip,facility_group")
            assert len(lines) == 2 and ",ALPHA GRILL,100 W RANDOLPH ST,60601," in lines[1]
            search.fill("")
            expect(rows).to_have_count(5)

            # the day's route, printed from a page of its own
            expect(page.get_by_text("Route as of 2024-03-01: 5 stops")).to_be_visible()
            with page.expect_popup() as popup:
                page.get_by_role("button", name="Print the route").click()
            printed = popup.value
            expect(printed.locator("table tr")).to_have_count(6)  # the header and five stops
            expect(printed.locator("tr").nth(1)).to_contain_text("ALPHA GRILL")
            expect(printed.locator("tr").nth(5)).to_contain_text("GOLF HOT DOG CART")
            printed.close()

            screenshot = tmp_path / "ranking.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_monitoring_page_shows_the_board_drift_and_precision(
    dashboard_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1400})
            page.goto(dashboard_url.replace("/ranking", "/monitoring"))
            expect(page.get_by_text("is the product healthy?")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("1 breached")).to_be_visible()
            expect(page.get_by_text("freshness.newest_inspection")).to_be_visible()
            expect(page.get_by_text("prior_fails").first).to_be_visible()
            expect(page.locator("canvas").first).to_be_visible()  # the precision chart drew
            screenshot = tmp_path / "monitoring.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000


def test_the_model_page_shows_the_leaderboard_windows_and_fairness(
    dashboard_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1400})
            page.goto(dashboard_url.replace("/ranking", "/model"))
            expect(page.get_by_text("which model ranks")).to_be_visible(timeout=30_000)
            expect(page.locator(".slick-row").first).to_contain_text("RandomForestClassifier")
            expect(page.get_by_text("baseline: random").first).to_be_visible()
            expect(page.get_by_text("1 outside the band")).to_be_visible()
            expect(page.locator(".bk-Figure")).to_have_count(2)  # precision by window, fairness
            expect(page.locator("canvas").first).to_be_visible()
            page.get_by_role("link", name="Monitoring").click()  # the pages link to each other
            expect(page.get_by_text("is the product healthy?")).to_be_visible(timeout=30_000)
            screenshot = tmp_path / "model.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000


def test_an_establishment_page_opens_from_the_ranking(dashboard_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with chromium_page(1300, 1400) as page:
        page.goto(dashboard_url)
        rows = page.locator(".slick-row")
        expect(rows.first).to_contain_text("ALPHA GRILL", timeout=30_000)
        rows.first.locator(".slick-cell").nth(1).click()
        page.get_by_role("link", name="its inspections and past scores").click()
        expect(page.get_by_role("heading", name="ALPHA GRILL")).to_be_visible(timeout=30_000)
        assert "/establishment?id=1001" in page.url
        expect(page.get_by_text("Ranked #1 as of 2024-03-01")).to_be_visible()
        expect(page.get_by_role("heading", name="Inspections (4)")).to_be_visible()
        inspections = page.locator(".slick-row")
        expect(inspections).to_have_count(4)
        expect(inspections.first).to_contain_text("2023-06-01")
        expect(page.get_by_text("↑ higher values, higher scores").first).to_be_visible()
        expect(page.locator("canvas").first).to_be_visible()  # the score over past runs
        screenshot = tmp_path / "establishment.png"
        page.screenshot(path=str(screenshot), full_page=True)
        page.goto(dashboard_url.replace("/ranking", "/establishment?license=424242"))
        expect(page.get_by_text("No establishment 424242 in the warehouse.")).to_be_visible(
            timeout=30_000
        )
    assert screenshot.stat().st_size > 10_000


def test_on_a_narrow_screen_the_map_goes_below_the_table(dashboard_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page(800, 900) as page:
        page.goto(dashboard_url)
        expect(page.locator(".slick-row").first).to_contain_text("ALPHA GRILL", timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 800  # nothing runs off
        table = page.locator(".bk-DataTable").first.bounding_box()
        city_map = page.locator(".bk-Figure").first.bounding_box()
        assert table and city_map and city_map["y"] >= table["y"] + table["height"] - 1


def test_the_csv_keeps_text_a_spreadsheet_would_run_as_a_formula(tmp_path: Path) -> None:
    from dashboards.ranking.main import DOWNLOAD_CSV_JS

    require_browser()
    data = {
        "rank": [1, 2],
        "name": ['=HYPERLINK("x")', 'JOE\'S, "THE" GRILL'],
        "longitude": [-87.6, float("nan")],
        "last_visit_date": [1704067200000, None],
    }
    columns = [["rank", "rank"], ["name", "name"], ["longitude", "longitude"],
               ["last_visit_date", "last_visit_date"]]  # fmt: skip
    with chromium_page(1400, 900) as page:
        page.set_content("<html><body></body></html>")
        with page.expect_download() as download:
            page.evaluate(
                "([code, data, columns]) => new Function('source', 'columns', 'filename', code)"
                "({data: Object.fromEntries(Object.entries(data).map(([k, v]) => "
                "[k, v.map(x => x === null ? NaN : x)]))}, columns, 'list.csv')",
                [
                    DOWNLOAD_CSV_JS,
                    {k: [None if v != v else v for v in vs] for k, vs in data.items()},
                    columns,
                ],
            )
        lines = Path(download.value.path()).read_text().splitlines()
    assert lines == [
        "rank,name,longitude,last_visit_date",
        '1,"\'=HYPERLINK(""x"")",-87.6,2024-01-01',  # kept as text; the number stays a number
        '2,"JOE\'S, ""THE"" GRILL",,',  # quoted where it holds a comma or a quote; NaN is empty
    ]
