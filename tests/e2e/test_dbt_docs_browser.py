"""`canvass docs` builds the dbt docs site and serves it; Chromium shows the lineage with exposures.

Runs the real command on a free port against the session's database (its raw tables exist from the
migrations; whether the models are built only changes the catalog), then opens the site and checks
what a data engineer looks for: the models in the project tree, and an exposure's page listing the
marts it depends on.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from support.served import canvass_serving, chromium_page, require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def docs_url(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    log_dir = tmp_path_factory.mktemp("dbt-docs")
    with canvass_serving(["docs"], "/manifest.json", log_dir) as url:
        yield url


def test_the_manifest_holds_the_lineage_from_source_to_exposures(docs_url: str) -> None:
    with urllib.request.urlopen(f"{docs_url}/manifest.json", timeout=10) as response:
        manifest = json.load(response)
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"ranking_dashboard", "canvass_api", "model_training", "scoring"} <= set(exposures)
    assert "model.canvass.ml_features" in exposures["model_training"]["depends_on"]["nodes"]
    # the apps' lineage runs from the ML outputs through the delivery marts
    assert "model.canvass.fct_rankings" in exposures["ranking_dashboard"]["depends_on"]["nodes"]
    rankings = manifest["nodes"]["model.canvass.fct_rankings"]
    assert "model.canvass.stg_ml__scores" in rankings["depends_on"]["nodes"]
    scores = manifest["nodes"]["model.canvass.stg_ml__scores"]
    assert "source.canvass.ml.scores" in scores["depends_on"]["nodes"]
    staging = manifest["nodes"]["model.canvass.stg_chicago__inspections"]
    assert "source.canvass.chicago.food_inspections" in staging["depends_on"]["nodes"]
    # each app's exposure links to where it runs
    assert exposures["ranking_dashboard"]["url"] == "http://127.0.0.1:5006/ranking"
    assert exposures["canvass_api"]["url"] == "http://127.0.0.1:8000/docs"
    owners = {e["name"]: e["owner"]["name"] for e in exposures.values()}
    assert owners["ranking_dashboard"] == owners["canvass_api"] == "Canvass delivery"
    assert owners["model_training"] == "Canvass data science"
    # every mart an app reads keeps its columns' names and types by contract
    read_by_apps = {
        node
        for e in exposures.values()
        if e["type"] in {"dashboard", "application"}
        for node in e["depends_on"]["nodes"]
    }
    assert len(read_by_apps) >= 13
    # beside the marts' own config (one `config:` per model: a second would replace the first)
    assert manifest["nodes"]["model.canvass.fct_inspections"]["config"]["indexes"]
    for node in read_by_apps:
        assert manifest["nodes"][node]["contract"]["enforced"], node


def test_every_model_and_source_names_its_team_as_owner(docs_url: str) -> None:
    with urllib.request.urlopen(f"{docs_url}/catalog.json", timeout=10) as response:
        catalog = json.load(response)
    owners = {
        unique_id: entry["metadata"]["owner"]
        for kind in ("nodes", "sources")
        for unique_id, entry in catalog[kind].items()
    }
    assert owners, "the catalog lists the built tables"
    assert "postgres" not in owners.values()  # the database role that built them
    assert owners.get("source.canvass.chicago.food_inspections") == "Canvass data engineering"
    for unique_id, owner in owners.items():
        if unique_id.startswith("model.canvass.stg_"):
            assert owner == "Canvass data engineering", unique_id


def test_the_front_page_explains_the_product_and_its_lineage(docs_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(f"{docs_url}/#!/overview")
        expect(page.get_by_role("heading", level=1).first).to_contain_text(
            "which food establishments to inspect first", timeout=30_000
        )
        expect(page.get_by_role("heading", name="How to read the lineage")).to_be_visible()
        expect(page.get_by_role("cell", name="intermediate", exact=True).first).to_be_visible()


def test_the_site_shows_models_and_an_exposure(docs_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(f"{docs_url}/#!/model/model.canvass.ml_features")
        expect(page.get_by_role("heading", level=1)).to_contain_text("ml_features", timeout=30_000)
        expect(page.get_by_text("Canvass data science").first).to_be_visible()
        page.goto(f"{docs_url}/#!/exposure/exposure.canvass.model_training")
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Model training and evaluation", timeout=30_000
        )
        expect(page.get_by_role("heading", name="Depends On")).to_be_visible()
        for model in ("ml_features", "ml_labels"):
            link = page.locator(f"a[href='#!/model/model.canvass.{model}']:visible")
            expect(link.first).to_be_visible()
