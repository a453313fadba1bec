"""The API's documentation page renders in Chromium with nothing fetched from the internet.

Serves `canvass api` for real on a free port and opens /docs (Swagger UI); every request the page
makes is recorded, and any that leaves 127.0.0.1 is aborted and fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from support.served import CHROMIUM, CHROMIUM_ARGS, canvass_serving, require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def api_url(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    log_dir = tmp_path_factory.mktemp("api")
    with canvass_serving(["api", "--host", "127.0.0.1"], "/openapi.json", log_dir) as url:
        yield url


def _open_offline(url: str, ready_selector: str) -> tuple[str, list[str]]:
    """Load `url`; return the text of the element matching `ready_selector` and any external URLs."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []

    def only_local(route, request) -> None:  # noqa: ANN001 - Playwright's Route and Request
        if urlsplit(request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            external.append(request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_local)
            page.goto(url)
            element = page.locator(ready_selector).first
            element.wait_for(timeout=30_000)
            text = page.locator("body").inner_text()
        finally:
            browser.close()
    return text, external


def test_swagger_ui_renders_every_endpoint_offline(api_url: str) -> None:
    text, external = _open_offline(f"{api_url}/docs", ".opblock")
    assert external == []
    for path in (
        "/health",
        "/establishments/top",
        "/establishments/{license_number}/score",
        "/establishments/{license_number}/inspections",
    ):
        assert path in text
