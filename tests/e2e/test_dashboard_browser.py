"""The ranking dashboard served for real and driven in Debian's Chromium with Playwright.

Serves `python -m dashboards` on a free port in a subprocess, against a database of hand-made rows
(tests/support/delivery_seed.py), and checks what a person sees: the ranked table with the top
establishment, a filter, the explanation panel. Never downloads a browser: /usr/bin/chromium or skip.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "support" / "delivery_seed.py"

pytestmark = pytest.mark.browser


def _seed_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("delivery_seed", SEED)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], attempts: int = 120) -> None:
    for _ in range(attempts):  # at most about 60 s
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the dashboard server did not answer at {url}")


@pytest.fixture(scope="module")
def dashboard_url(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (`make browser`)")
    pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")
    seed = _seed_module()
    database_url = seed.create_delivery_database(warehouse_url)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "server.log"
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("CANVASS_READER_DATABASE_URL", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboards", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/ranking"
        try:
            _wait_until_serving(url, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log_path.read_text(errors='replace')}") from exc
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        seed.drop_delivery_database(warehouse_url, database_url)


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
            rows.first.locator(".slick-cell").nth(1).click()
            expect(page.get_by_text("What the model saw")).to_be_visible()
            expect(page.get_by_text("Failed inspections before")).to_be_visible()

            screenshot = tmp_path / "ranking.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
