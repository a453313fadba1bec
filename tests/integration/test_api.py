"""The API against a real Postgres: hand-made marts and scores (see tests/support/delivery_seed.py)."""

from __future__ import annotations

import dataclasses
import socket
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from support.delivery_seed import (
    UNLICENSED_ID,
    create_delivery_database,
    drop_delivery_database,
    reader_settings,
)

from api.app import create_app
from warehouse.db import connect_reader
from warehouse.settings import get_settings, parse_database_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def delivery_url(warehouse_url: str) -> Iterator[str]:
    url = create_delivery_database(warehouse_url)
    yield url
    drop_delivery_database(warehouse_url, url)


@pytest.fixture(scope="module")
def client(delivery_url: str) -> TestClient:
    return TestClient(create_app(reader_settings(delivery_url)))


@pytest.fixture(scope="module")
def empty_client(warehouse_url: str) -> Iterator[TestClient]:
    """Migrated, marts tables present, nothing scored."""
    url = create_delivery_database(warehouse_url, seed=False)
    yield TestClient(create_app(reader_settings(url)))
    drop_delivery_database(warehouse_url, url)


@pytest.fixture(scope="module")
def bare_client(warehouse_url: str) -> Iterator[TestClient]:
    """A database that answers but was never built: no delivery marts."""
    admin = parse_database_url(warehouse_url)
    name = f"canvass_bare_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield TestClient(create_app(reader_settings(admin.url(database=name))))
    drop_delivery_database(warehouse_url, admin.url(database=name))


@pytest.fixture
def down_client() -> TestClient:
    """Settings pointing at a port where no database listens."""
    down = f"postgresql://postgres@127.0.0.1:{_closed_port()}/canvass"
    settings = dataclasses.replace(get_settings(), database_url=down, reader_database_url=None)
    return TestClient(create_app(settings))


def test_health_names_the_served_model_date_and_deployment(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "reachable"
    assert body["scoring_model_id"] == "model-new"
    assert body["latest_as_of_date"] == "2024-03-01"
    assert body["deployed_model_id"] == "model-new"


def test_health_is_503_with_a_clear_body_when_the_database_is_down(
    down_client: TestClient,
) -> None:
    response = down_client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unreachable"
    assert "does not answer" in body["detail"]


def test_health_says_no_scores_before_anything_is_scored(empty_client: TestClient) -> None:
    body = empty_client.get("/health").json()
    assert body["status"] == "no_scores"
    assert body["scoring_model_id"] is None
    assert body["latest_as_of_date"] is None


def test_an_unmigrated_warehouse_is_503_not_500(bare_client: TestClient) -> None:
    health = bare_client.get("/health")
    assert health.status_code == 503
    assert health.json()["database"] == "not_migrated"
    top = bare_client.get("/establishments/top")
    assert top.status_code == 503
    assert "not built" in top.json()["detail"]


def test_data_endpoints_are_503_when_the_database_is_down(down_client: TestClient) -> None:
    response = down_client.get("/establishments/1001/score")
    assert response.status_code == 503
    assert "does not answer" in response.json()["detail"]


def test_score_of_a_known_license(client: TestClient) -> None:
    response = client.get("/establishments/1001/score")
    assert response.status_code == 200
    body = response.json()
    assert body["license_number"] == 1001
    assert body["establishment_id"] == "1001"
    assert body["name"] == "ALPHA GRILL"
    assert body["address"] == "100 W RANDOLPH ST"
    assert body["facility_type"] == "Restaurant"
    assert body["facility_group"] == "restaurant"
    assert body["risk_level"] == 1
    assert body["score"] == pytest.approx(0.91)
    assert body["rank"] == 1
    assert body["as_of_date"] == "2024-03-01"
    assert body["model_id"] == "model-new"


def test_last_visit_and_its_result_describe_the_same_visit(client: TestClient) -> None:
    body = client.get("/establishments/1005/score").json()
    assert body["last_inspection_date"] == "2023-11-02"  # the latest pass/fail outcome
    assert (body["last_visit_date"], body["last_result"]) == ("2024-01-10", "not_ready")


def test_score_is_the_latest_as_of_date_of_the_latest_model(client: TestClient) -> None:
    # 1004 was scored by model-new on 2024-02-01 only (it was inspected before March's run).
    body = client.get("/establishments/1004/score").json()
    assert (body["as_of_date"], body["model_id"], body["rank"]) == ("2024-02-01", "model-new", 1)
    assert body["score"] == pytest.approx(0.50)


@pytest.mark.parametrize("license_number", [1006, 999_999])
def test_score_of_an_unscored_license_is_404(client: TestClient, license_number: int) -> None:
    # 1006 has only a score from the older model; 999999 is unknown.
    response = client.get(f"/establishments/{license_number}/score")
    assert response.status_code == 404
    assert f"license {license_number}" in response.json()["detail"]


@pytest.mark.parametrize("license_text", ["abc", "12.5", "1001x"])
def test_a_non_integer_license_is_422(client: TestClient, license_text: str) -> None:
    response = client.get(f"/establishments/{license_text}/score")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "license_number"]


def test_top_is_the_latest_run_in_rank_order(client: TestClient) -> None:
    body = client.get("/establishments/top").json()
    assert body["model_id"] == "model-new"
    assert body["as_of_date"] == "2024-03-01"
    assert body["scored_establishments"] == 5
    rows = body["establishments"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["establishment_id"] for r in rows] == ["1001", "1002", "1003", UNLICENSED_ID, "1005"]
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    unlicensed = rows[3]
    assert unlicensed["license_number"] is None
    assert unlicensed["name"] == "GOLF HOT DOG CART"


def test_scores_are_rounded_and_come_with_their_calibrated_probability(
    client: TestClient,
) -> None:
    top = client.get("/establishments/top").json()["establishments"]
    assert [(r["score"], r["probability"]) for r in top[:2]] == [(0.91, 0.455), (0.75, 0.375)]
    old = client.get("/establishments/top", params={"as_of": "2024-01-01"}).json()
    assert old["establishments"][0]["probability"] is None  # model-old has no calibration


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({"facility_group": "restaurant"}, ["1001", "1005"]),
        ({"zip": "60601"}, ["1001", "1002"]),
        ({"risk_level": 1}, ["1001", "1003", "1005"]),
        ({"risk_level": 1, "zip": "60614"}, ["1003"]),
        ({"facility_group": "bakery"}, []),  # 1004 is only in February's run
    ],
)
def test_top_filters_keep_rank_order_and_count_the_matches(
    client: TestClient, filters: dict[str, object], ids: list[str]
) -> None:
    body = client.get("/establishments/top", params=filters).json()
    assert [r["establishment_id"] for r in body["establishments"]] == ids
    assert body["matching"] == len(ids)
    assert body["scored_establishments"] == 5
    ranks = [r["rank"] for r in body["establishments"]]
    assert ranks == sorted(ranks)


def test_top_pages_through_the_ranking(client: TestClient) -> None:
    seen, offset, pages = [], 0, 0
    while offset is not None:
        body = client.get("/establishments/top", params={"limit": 2, "offset": offset}).json()
        assert body["offset"] == offset and body["matching"] == 5
        seen += [r["rank"] for r in body["establishments"]]
        offset, pages = body["next_offset"], pages + 1
    assert (seen, pages) == ([1, 2, 3, 4, 5], 3)
    beyond = client.get("/establishments/top", params={"offset": 10}).json()
    assert (beyond["establishments"], beyond["next_offset"]) == ([], None)


@pytest.mark.parametrize(
    "params",
    [
        {"zip": "6060"},
        {"zip": "60601; drop table x"},
        {"risk_level": 4},
        {"offset": -1},
        {"facility_group": ""},
    ],
)
def test_top_refuses_bad_filters_with_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/establishments/top", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


def test_top_answers_304_while_the_scoring_run_is_unchanged(client: TestClient) -> None:
    first = client.get("/establishments/top", params={"limit": 3})
    etag = first.headers["etag"]
    assert first.headers["last-modified"] == "Fri, 01 Mar 2024 06:00:00 GMT"  # the run's time
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/establishments/top", params={"limit": 3}, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    other = client.get("/establishments/top", params={"limit": 4}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag  # another query
    older = client.get("/establishments/top", params={"as_of": "2024-01-01"})
    assert older.headers["last-modified"] == "Mon, 01 Jan 2024 06:00:00 GMT"
    since = {"If-Modified-Since": "Fri, 01 Mar 2024 06:00:00 GMT"}
    assert client.get("/establishments/top", params={"limit": 3}, headers=since).status_code == 304
    stale = {"If-Modified-Since": "Thu, 29 Feb 2024 06:00:00 GMT"}
    assert client.get("/establishments/top", params={"limit": 3}, headers=stale).status_code == 200


def test_explanation_lists_the_features_by_the_models_weight(client: TestClient) -> None:
    response = client.get("/establishments/1001/explanation")
    assert response.status_code == 200
    body = response.json()
    assert (body["model_id"], body["as_of_date"], body["rank"]) == ("model-new", "2024-03-01", 1)
    weights = {f["feature"]: f["model_weight"] for f in body["features"]}
    # the two one-hot zip columns add up; the model's weights are shares of 1.0
    assert weights["prior_fails"] == 0.4 and weights["zip"] == 0.15
    ranked = [f["weight_rank"] for f in body["features"] if f["weight_rank"] is not None]
    assert ranked == sorted(ranked) and ranked[0] == 1
    values = {f["feature"]: f["value"] for f in body["features"]}
    assert values["prior_fails"] == "2"
    assert client.get("/establishments/1006/explanation").status_code == 404  # not ranked now


def test_current_model_says_what_it_is_how_it_did_and_why(client: TestClient) -> None:
    response = client.get("/models/current")
    assert response.status_code == 200
    body = response.json()
    assert (body["model_id"], body["is_deployed"]) == ("model-new", True)
    assert (body["version"], body["alias"], body["description"]) == (
        2,
        "champion",
        "the second model",
    )
    assert body["algorithm"] == "RandomForestClassifier"
    assert body["selection_rule"] == "best_average"
    assert body["calibration"] == {
        "method": "isotonic",
        "rows": 80,
        "ece_before": 0.0812,
        "ece_after": 0.0312,
    }
    metrics = {(m["metric"], m["parameter"]): m for m in body["cross_validation"]}
    precision = metrics[("precision@", "10_pct")]
    assert (precision["mean"], precision["min"], precision["max"], precision["windows"]) == (
        0.4,
        0.3,
        0.5,
        2,
    )
    assert (body["first_test_start_date"], body["last_test_end_date"]) == (
        "2023-10-01",
        "2023-12-01",
    )
    random = {b["baseline"]: b["metrics"] for b in body["baselines"]}["random"]
    assert random[0]["mean"] == 0.225
    assert (
        client.get(
            "/models/current", headers={"If-None-Match": response.headers["etag"]}
        ).status_code
        == 304
    )


def test_a_model_by_id_and_an_unknown_one(client: TestClient) -> None:
    body = client.get("/models/model-w1").json()
    assert (body["is_deployed"], body["calibration"], body["deployed_at"]) == (False, None, None)
    assert (body["version"], body["alias"]) == (None, "")
    assert client.get("/models/model-old").json()["version"] == 1
    assert body["test_start_date"] == "2023-10-01"
    assert body["cross_validation"]  # its group's windows
    missing = client.get("/models/model-nope")
    assert missing.status_code == 404 and "model-nope" in missing.json()["detail"]
    assert client.get("/models/bad%20id").status_code == 422


def test_model_cards_are_markdown_with_validators(client: TestClient) -> None:
    response = client.get("/models/current/card")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("# Model card: version 2 (model-new)")
    assert client.get("/models/model-new/card").text == response.text
    again = client.get("/models/current/card", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/models/model-old/card").status_code == 404  # proposed before cards
    assert client.get("/models/nope/card").status_code == 404


def test_no_current_model_before_anything_is_deployed(empty_client: TestClient) -> None:
    response = empty_client.get("/models/current")
    assert response.status_code == 404
    assert "canvass train" in response.json()["detail"]


def test_top_limit_cuts_the_list(client: TestClient) -> None:
    body = client.get("/establishments/top", params={"limit": 2}).json()
    assert [r["name"] for r in body["establishments"]] == ["ALPHA GRILL", "BRAVO GROCERY"]
    assert body["limit"] == 2
    assert (
        len(client.get("/establishments/top", params={"limit": 1000}).json()["establishments"]) == 5
    )


@pytest.mark.parametrize("limit", [0, -1, 1001, "ten"])
def test_top_limit_out_of_bounds_is_422(client: TestClient, limit: object) -> None:
    response = client.get("/establishments/top", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_top_as_of_reads_that_dates_run(client: TestClient) -> None:
    body = client.get("/establishments/top", params={"as_of": "2024-01-01"}).json()
    assert body["model_id"] == "model-old"
    assert [r["establishment_id"] for r in body["establishments"]] == ["1005", "1001", "1006"]
    older = client.get("/establishments/top", params={"as_of": "2024-02-01"}).json()
    assert (older["model_id"], older["scored_establishments"]) == ("model-new", 2)


def test_top_for_a_date_without_scores_is_an_empty_list(client: TestClient) -> None:
    response = client.get("/establishments/top", params={"as_of": "2024-01-15"})  # between runs
    assert response.status_code == 200
    body = response.json()
    assert body["model_id"] is None
    assert body["establishments"] == []
    assert client.get("/establishments/top", params={"as_of": "not-a-date"}).status_code == 422


@pytest.mark.parametrize("as_of", ["0", "1970-01-01", "2023-12-31", "2024-03-02", "9999-12-31"])
def test_top_refuses_a_date_outside_the_scored_dates(client: TestClient, as_of: str) -> None:
    """Hardening finding 8: `as_of=0` was read as 1970-01-01 and answered an empty list."""
    response = client.get("/establishments/top", params={"as_of": as_of})
    assert response.status_code == 422
    detail = response.json()["detail"]
    if isinstance(detail, str):  # past the static bound: the scored range is named
        assert "outside the scored dates: scores exist from 2024-01-01 to 2024-03-01" in detail


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/docs", "/health", "/establishments/top", "/openapi.json", "/nowhere"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert "default-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path


def test_top_before_anything_is_scored_is_an_empty_list(empty_client: TestClient) -> None:
    body = empty_client.get("/establishments/top").json()
    assert body["establishments"] == []
    assert body["scored_establishments"] == 0


def test_inspection_history_newest_first(client: TestClient) -> None:
    response = client.get("/establishments/1001/inspections")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "ALPHA GRILL"
    assert [i["inspection_id"] for i in body["inspections"]] == [9004, 9003, 9002, 9001]
    latest = body["inspections"][0]
    assert (latest["result"], latest["is_failed"], latest["critical_violation_count"]) == (
        "fail",
        True,
        1,
    )
    limited = client.get("/establishments/1001/inspections", params={"limit": 1}).json()
    assert [i["inspection_id"] for i in limited["inspections"]] == [9004]


def test_inspection_history_of_an_unknown_license_is_404(client: TestClient) -> None:
    response = client.get("/establishments/424242/inspections")
    assert response.status_code == 404
    assert "424242" in response.json()["detail"]


def test_openapi_documents_every_endpoint_with_tags(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Canvass API"
    assert {t["name"] for t in spec["tags"]} == {"establishments", "health", "models", "monitoring"}
    assert {
        "/health",
        "/establishments/top",
        "/establishments/{license_number}/score",
        "/establishments/{license_number}/explanation",
        "/establishments/{license_number}/inspections",
        "/models/current",
        "/models/{model_id}",
        "/models/current/card",
        "/models/{model_id}/card",
        "/monitoring/slas",
        "/monitoring/drift",
        "/monitoring/performance",
    } <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_the_reader_connection_cannot_write(delivery_url: str) -> None:
    settings = reader_settings(delivery_url)
    with connect_reader(settings) as conn:
        assert conn.execute("select count(*) from marts.fct_rankings").fetchone()[0] == 10
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # apps read marts only
            conn.execute("select count(*) from ml.scores")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "insert into marts.fct_rankings (model_id, establishment_id, as_of_date, score)"
                " values ('model-new', 'x', date '2024-03-01', 0.5)"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from marts.dim_establishments")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table marts.sneaky (id int)")


def test_a_slow_or_blocked_query_answers_503(delivery_url: str) -> None:
    """Hardening finding 2: while a rebuild held the marts, the API gave no answer in 30 s. Now a
    query past the API's statement timeout (or the reader's lock timeout) answers 503 at once."""
    settings = dataclasses.replace(reader_settings(delivery_url), api_statement_timeout_ms=500)
    client = TestClient(create_app(settings))
    with psycopg.connect(delivery_url) as writer:
        writer.execute("lock table marts.fct_rankings in access exclusive mode")  # as dbt's swap
        started = time.monotonic()
        response = client.get("/establishments/top")
        waited = time.monotonic() - started
        writer.rollback()
    assert response.status_code == 503
    assert "busy" in response.json()["detail"] and response.headers["retry-after"] == "5"
    assert waited < 5
    assert client.get("/establishments/top").status_code == 200  # and answers once it is free


def test_monitoring_slas_is_the_newest_runs_board(client: TestClient) -> None:
    body = client.get("/monitoring/slas").json()
    assert body["status"] == "breach" and body["breaches"] == 1
    assert [(c["name"], c["status"]) for c in body["checks"]] == [
        ("freshness.newest_inspection", "breach"),
        ("time_to_completion.train", "ok"),
    ]
    first = body["checks"][0]
    assert (first["value"], first["threshold"], first["unit"]) == (20.0, 14.0, "days")


def test_monitoring_drift_of_the_newest_run_and_of_a_given_date(client: TestClient) -> None:
    body = client.get("/monitoring/drift").json()
    assert (body["as_of_date"], body["alerts"], body["warnings"]) == ("2024-03-01", 1, 1)
    psi = next(s for s in body["statistics"] if s["statistic"] == "psi")
    assert psi == {
        "feature": "prior_fails",
        "comparison": "previous_run",
        "statistic": "psi",
        "value": 0.3123,  # rounded for people
        "warn_at": 0.1,
        "alert_at": 0.25,
        "status": "alert",
        "detail": "",
    }
    assert (
        client.get("/monitoring/drift", params={"as_of": "2024-02-01"}).json()["statistics"] == []
    )


def test_monitoring_performance_says_how_many_are_inspected_yet(client: TestClient) -> None:
    runs = client.get("/monitoring/performance").json()["runs"]
    by_cut = {r["cut"]: r for r in runs}
    assert by_cut["10_pct"]["realised_precision"] == 1.0
    assert by_cut["10_pct"]["promised_precision"] == 0.35
    assert by_cut["10_pct"]["precision_gap"] == 0.65
    assert by_cut["10_pct"]["expected_precision"] == 0.5  # calibrated, before any label
    assert by_cut["10_pct"]["expected_precision_inspected"] == 0.6
    assert by_cut["10_pct"]["estimate_gap"] == 0.4
    assert by_cut["10_pct"]["estimate_status"] == "unknown"  # one inspected: too few to grade
    assert (by_cut["capacity"]["ranked"], by_cut["capacity"]["inspected"]) == (2, 1)
    assert by_cut["capacity"]["share_inspected"] == 0.5


def test_monitoring_before_any_monitor_run(empty_client: TestClient) -> None:
    assert empty_client.get("/monitoring/slas").json() == {
        "status": "not_monitored",
        "monitored_at": None,
        "breaches": 0,
        "checks": [],
    }
    assert empty_client.get("/monitoring/performance").json() == {"runs": []}


def test_requests_borrow_pooled_reader_connections(delivery_url: str) -> None:
    """Ten requests in a row reuse one connection instead of opening ten; a pooled connection
    killed under the API (a warehouse restart) is noticed on lending and replaced, so the next
    request still answers."""
    from api.deps import reader_pool

    settings = reader_settings(delivery_url)
    app = create_app(settings)
    with TestClient(app) as client:
        for _ in range(10):
            assert client.get("/establishments/top", params={"limit": 1}).status_code == 200
        stats = reader_pool(app, settings).get_stats()
        assert stats["requests_num"] == 10 and stats["connections_num"] == 1
        with reader_pool(app, settings).connection() as pooled:
            pid = pooled.info.backend_pid
        with psycopg.connect(delivery_url, autocommit=True) as admin:
            killed = admin.execute("select pg_terminate_backend(%s)", [pid]).fetchone()[0]
        assert killed
        assert client.get("/establishments/top", params={"limit": 1}).status_code == 200
        assert reader_pool(app, settings).get_stats()["connections_num"] > 1  # a new one
    assert not app.state.__dict__.get("reader_pools")  # closed at shutdown
