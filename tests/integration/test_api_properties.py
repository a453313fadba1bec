"""A property-based run of the API against its own OpenAPI schema (Hypothesis; the role
Schemathesis plays, without its server stack).

For every GET operation the schema documents, requests are drawn from each parameter's schema:
values inside its bounds, outside them, of the wrong type, and arbitrary text (in paths, quoted),
with an arbitrary `If-None-Match`. Whatever arrives, the API must answer with a status the
operation documents (or 422 for a malformed request, 404 for a path that names nothing), never a
5xx; every 200 must validate against the operation's response model; every answer carries the
security headers. The number of examples is bounded, so the run stays a few seconds.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.delivery_seed import (
    ESTABLISHMENTS,
    create_delivery_database,
    drop_delivery_database,
    reader_settings,
)

from api.app import create_app
from api.routers import establishments, health, models, monitoring

EXAMPLES = 40  # per operation
APP = create_app()
SPEC = APP.openapi()
OPERATIONS = sorted(
    (path, operation)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    if method == "get"
)
RESPONSE_MODELS = {  # the routers' own routes: their paths carry the router's prefix
    route.path: route.response_model
    for router in (establishments.router, health.router, models.router, monitoring.router)
    for route in router.routes
    if isinstance(route, APIRoute) and "GET" in route.methods and route.response_model
}
KNOWN_LICENSES = [e[1] for e in ESTABLISHMENTS if e[1] is not None]
KNOWN_MODELS = ["model-new", "model-old", "model-w1", "model-w2"]
PRINTABLE = st.text(alphabet=string.printable.strip() + " ", max_size=40)


@pytest.fixture(scope="module")
def client(warehouse_url: str) -> Iterator[TestClient]:
    url = create_delivery_database(warehouse_url)
    yield TestClient(create_app(reader_settings(url)))
    drop_delivery_database(warehouse_url, url)


def _valid(schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    """Values the schema accepts (a known key for the ids, so 200s are drawn too)."""
    if "anyOf" in schema:
        return st.one_of(*(_valid(s, name) for s in schema["anyOf"] if s.get("type") != "null"))
    if name == "license_number":
        return st.sampled_from(KNOWN_LICENSES) | st.integers(-(2**63), 2**63 - 1)
    if name == "model_id":
        return st.sampled_from(KNOWN_MODELS) | st.from_regex(schema["pattern"], fullmatch=True)
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if schema.get("format") == "date":
        return st.dates().map(str)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 40))


def _any(schema: dict[str, Any], name: str) -> st.SearchStrategy[str]:
    """A valid value, or one outside the bounds, of another type, or arbitrary text."""
    return st.one_of(
        _valid(schema, name).map(str),
        st.integers(-(10**20), 10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        PRINTABLE,
    )


def _requests(path: str, operation: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    parameters = operation.get("parameters", [])
    path_values = {p["name"]: _any(p["schema"], p["name"]) for p in parameters if p["in"] == "path"}
    query_values = {
        p["name"]: st.none() | _any(p["schema"], p["name"])
        for p in parameters
        if p["in"] == "query"
    }
    return st.fixed_dictionaries(
        {
            "path": st.fixed_dictionaries(path_values),
            "query": st.fixed_dictionaries(query_values),
            "if_none_match": st.none() | PRINTABLE,
        }
    )


@pytest.mark.parametrize(("path", "operation"), OPERATIONS, ids=[p for p, _ in OPERATIONS])
def test_every_answer_is_documented_and_well_formed(
    client: TestClient, path: str, operation: dict[str, Any]
) -> None:
    documented = {int(code) for code in operation["responses"]} | {404, 422}
    model = RESPONSE_MODELS.get(path)  # None for the Markdown cards
    seen: set[int] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(_requests(path, operation))
    def check(request: dict[str, Any]) -> None:
        url = path
        for name, value in request["path"].items():
            url = url.replace("{" + name + "}", quote(value, safe="") or "%20")
        params = {k: v for k, v in request["query"].items() if v is not None}
        headers = {}
        if request["if_none_match"] is not None:
            headers["If-None-Match"] = request["if_none_match"]
        response = client.get(url, params=params, headers=headers)
        seen.add(response.status_code)
        assert response.status_code in documented, (url, params, response.text[:300])
        assert response.headers["x-content-type-options"] == "nosniff"
        if response.status_code == 200 and model is not None:
            model.model_validate(response.json())
        elif response.status_code == 200:
            assert response.headers["content-type"].startswith("text/markdown")
            assert response.text.startswith("# Model card")
        elif response.status_code != 304:
            assert response.json()["detail"], (url, params)

    check()
    assert seen - {422}, f"{path}: every drawn request was refused"  # some requests got through
