"""The whole pipeline on a small generated dataset, end to end, twice: every layer gets rows,
malformed rows are quarantined, and the second run converges to the same state."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
import pytest

from flows.sources.demo import generate_inspections, write_export_csv
from warehouse.dbt import invocation_history
from warehouse.load import raw_checksum

pytestmark = pytest.mark.slow

MALFORMED = [
    {"Inspection ID": "", "Inspection Date": "01/15/2019", "Results": "Pass"},
    {"Inspection ID": "99999901", "Inspection Date": "2019-13-45", "Results": "Fail"},
    {"Inspection ID": "99999902", "Inspection Date": "01/15/2019", "Latitude": "north"},
]


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "export.csv"
    frame = generate_inspections(n_establishments=250, seed=7)
    write_export_csv(frame, path)
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(frame.columns))
        for row in MALFORMED:
            writer.writerow({c: row.get(c, "") for c in frame.columns})
    return path


@pytest.fixture(scope="module")
def first_run(warehouse_url: str, prefect_harness: None, demo_export: Path) -> dict:
    from flows.pipeline import pipeline

    return pipeline(source=str(demo_export), quick=True)


def _count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608


def test_every_layer_has_rows(first_run: dict, db: psycopg.Connection) -> None:
    for table in (
        "raw.food_inspections",
        "staging.stg_chicago__inspections",
        "intermediate.int_inspections__deduplicated",
        "marts.fct_inspections",
        "marts.fct_rankings",
        "marts.fct_ranking_explanations",
        "marts.dim_establishments",
        "marts.ml_features",
        "marts.ml_labels",
        "ml.models",
        "ml.evaluations",
        "ml.scores",
    ):
        assert _count(db, table) > 0, table
    algorithms = {
        r[0] for r in db.execute("select distinct algorithm from ml.model_groups").fetchall()
    }
    assert len(algorithms) >= 3
    assert first_run["score"]["rows"] == _count(db, "ml.scores")


def test_malformed_rows_are_quarantined_and_the_run_carries_on(
    first_run: dict, db: psycopg.Connection
) -> None:
    assert first_run["ingest"]["rows_rejected"] == len(MALFORMED)
    reasons = {
        r[0]
        for r in db.execute(
            "select reason from meta.ingest_rejects where batch_id = %s",
            [first_run["ingest"]["batch_id"]],
        ).fetchall()
    }
    assert reasons == {
        "missing inspection_id",
        "inspection_date is not a date",
        "latitude is not a number",
    }


def test_lineage_is_recorded(first_run: dict, db: psycopg.Connection) -> None:
    status = db.execute(
        "select status from meta.ingest_batches where batch_id = %s",
        [first_run["ingest"]["batch_id"]],
    ).fetchone()
    assert status == ("succeeded",)
    assert (
        db.execute(
            "select count(*) from meta.flow_runs where flow_name = 'pipeline' and status = 'succeeded'"
        ).fetchone()[0]
        >= 1
    )
    assert db.execute("select bool_and(success) from meta.dbt_invocations").fetchone() == (True,)
    # the newest whole build (after it, score and monitor rebuild only their layers, and the
    # monitor checks source freshness)
    latest = next(
        i
        for i in invocation_history(db, limit=10)
        if i["command"].startswith("build") and "--select" not in i["command"]
    )
    assert latest["success"] and latest["tests_passed"] > 50 and latest["tests_failed"] == 0
    # a full build runs the whole-table tests the weekly build leaves out
    assert "--exclude" not in latest["command"]
    whole_table = db.execute(
        "select count(*) from meta.dbt_node_results as results "
        "inner join meta.dbt_invocations as invocations using (invocation_id) "
        "where invocations.command = %s and results.status = 'pass' and results.unique_id ~ "
        "'matches_strictly_earlier_count|assert_deduplication_reconciles|assert_no_feature'",
        [latest["command"]],
    ).fetchone()[0]
    assert whole_table >= 6
    deployed = db.execute("select distinct model_id from ml.scores").fetchall()
    assert len(deployed) == 1


def test_second_run_converges_without_duplicates(
    first_run: dict, db: psycopg.Connection, demo_export: Path
) -> None:
    from flows.pipeline import pipeline

    before = raw_checksum(db)
    second = pipeline(source=str(demo_export), quick=True)
    after = raw_checksum(db)
    assert before == after
    assert second["ingest"]["rows_inserted"] == 0
    assert second["ingest"]["rows_updated"] == 0
    assert db.execute(
        "select count(*) - count(distinct inspection_id) from raw.food_inspections"
    ).fetchone() == (0,)
    # The same config and data reuse the registered models instead of training them again.
    assert second["train"]["deployed_model_id"] == first_run["train"]["deployed_model_id"]
    # The same export lands once: both batches point at one content-addressed file.
    assert second["ingest"]["landing"] == first_run["ingest"]["landing"]
    paths = db.execute(
        "select count(distinct landing_path), count(*) from meta.ingest_batches "
        "where batch_id = any(%s)",
        [[first_run["ingest"]["batch_id"], second["ingest"]["batch_id"]]],
    ).fetchone()
    assert paths == (1, 2)


def test_api_answers_a_scored_license(first_run: dict, db: psycopg.Connection) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    license_number = db.execute(
        "select license_number from ml.scores where license_number is not null "
        "order by rank_abs limit 1"
    ).fetchone()[0]
    with TestClient(create_app()) as client:
        response = client.get(f"/establishments/{license_number}/score")
    assert response.status_code == 200, response.text
    assert response.json()["license_number"] == license_number


def _prefect_api(path: str) -> list[dict]:
    """POST an empty filter to the Prefect server's REST API (the one `canvass ui` reads)."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(f"{PREFECT_API_URL.value()}/{path}", json={"limit": 200}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_prefect_recorded_the_flow_runs_and_their_task_runs(first_run: dict) -> None:
    """What `canvass ui` shows: a pipeline run, its four subflow runs, and their task runs."""
    flows = {flow["id"]: flow["name"] for flow in _prefect_api("flows/filter")}
    runs = _prefect_api("flow_runs/filter")
    task_runs = _prefect_api("task_runs/filter")
    flow_run_of_task = {t["id"]: t["flow_run_id"] for t in task_runs}
    pipeline_run = next(r for r in runs if flows[r["flow_id"]] == "pipeline")
    children = {
        flows[r["flow_id"]]: r
        for r in runs
        if flow_run_of_task.get(r["parent_task_run_id"]) == pipeline_run["id"]
    }
    assert pipeline_run["state_type"] == "COMPLETED"
    assert set(children) == {"ingest", "transform", "train", "score", "monitor"}
    assert {r["state_type"] for r in children.values()} == {"COMPLETED"}
    with_tasks = {t["flow_run_id"] for t in task_runs}
    assert all(r["id"] in with_tasks for r in children.values())


def test_the_monitor_stage_watched_the_scoring_run(first_run: dict, db: psycopg.Connection) -> None:
    """Stage 5: drift of the scored cohort against the training rows, realised performance of
    the run, the SLA board, and the run's ranking archived once as Parquet with its sha256."""
    from warehouse import archives
    from warehouse.landing import read_archive

    watched, scored = first_run["monitor"], first_run["score"]
    assert watched["scoring_run"]["as_of_date"] == scored["as_of_date"]
    drift = db.execute(
        "select comparison, count(distinct feature), count(*) filter (where value is null) "
        "from monitoring.drift where as_of_date = %s group by comparison",
        [scored["as_of_date"]],
    ).fetchall()
    assert drift and drift[0][0] == "training" and drift[0][1] >= 10 and drift[0][2] == 0
    cuts = db.execute(
        "select cut, ranked from monitoring.performance where as_of_date = %s order by cut",
        [scored["as_of_date"]],
    ).fetchall()
    assert {c for c, _ in cuts} >= {"10_pct", "capacity"}
    board = db.execute("select count(*) from marts.fct_sla_checks where is_latest").fetchone()[0]
    assert board == len(watched["slas"]) >= 10
    url, sha = db.execute(
        "select url, sha256 from ml.score_archives where as_of_date = %s and model_id = %s",
        [scored["as_of_date"], scored["model_id"]],
    ).fetchone()
    assert f"scores/as_of_date={scored['as_of_date']}/" in url
    archived = read_archive(url, sha)
    assert len(archived) == scored["rows"]
    assert archived["rank_abs"].tolist() == sorted(archived["rank_abs"])
    assert any(c.startswith("feature__") for c in archived.columns)
    again = archives.archived_ranking(db, scored["model_id"], scored["as_of_date"])
    assert again is not None and again.equals(archived)


def test_the_monitor_records_dbt_source_freshness(first_run: dict, db: psycopg.Connection) -> None:
    """`dbt source freshness` ran in the monitor: its results sit beside the builds' in meta and
    reach the dbt trend mart; both sources were just loaded, so both are fresh."""
    freshness = {f["source"]: f["status"] for f in first_run["monitor"]["source_freshness"]}
    assert freshness == {"chicago.food_inspections": "pass", "meta.ingest_batches": "pass"}
    recorded = db.execute(
        "select results.unique_id, results.status, results.message "
        "from meta.dbt_node_results as results "
        "inner join meta.dbt_invocations as invocations using (invocation_id) "
        "where invocations.command like 'source freshness%%' and results.resource_type = 'source' "
        "order by invocations.started_at desc, results.unique_id limit 2"
    ).fetchall()
    assert [r[:2] for r in recorded] == [
        ("source.canvass.chicago.food_inspections", "pass"),
        ("source.canvass.meta.ingest_batches", "pass"),
    ]
    assert all("h before the check" in r[2] for r in recorded)
    trend = db.execute(
        "select sources_fresh, sources_stale from marts.fct_dbt_runs where is_freshness_check "
        "order by started_at desc limit 1"
    ).fetchone()
    assert trend == (2, 0)
    build = db.execute(
        "select tests_passed, tests_failed from marts.fct_dbt_runs where is_whole_build "
        "order by started_at desc limit 1"
    ).fetchone()
    assert build[0] > 100 and build[1] == 0


def test_the_deployed_model_is_calibrated_and_its_ranking_carries_expectations(
    first_run: dict, db: psycopg.Connection
) -> None:
    """Item 5: the deployed model's calibration is recorded with its error, each score carries
    a probability that keeps the ranking's order, and the run's cuts expect a precision."""
    scored = first_run["score"]
    method, rows, ece_before, ece_after = db.execute(
        "select method, fitted_rows, ece_before, ece_after from ml.calibrations "
        "where model_id = %s",
        [scored["model_id"]],
    ).fetchone()
    assert method == "isotonic" and rows >= 10  # the newest window of the small test demo
    assert 0 <= ece_after < 0.2 and ece_before is not None
    probabilities = [
        r[0]
        for r in db.execute(
            "select probability from ml.scores where model_id = %s and as_of_date = %s "
            "order by rank_abs",
            [scored["model_id"], scored["as_of_date"]],
        ).fetchall()
    ]
    assert None not in probabilities and all(0 <= p <= 1 for p in probabilities)
    assert all(a >= b - 1e-12 for a, b in zip(probabilities, probabilities[1:], strict=False))
    top = db.execute(
        "select expected_precision from marts.fct_model_performance "
        "where as_of_date = %s and model_id = %s and cut = '10_pct'",
        [scored["as_of_date"], scored["model_id"]],
    ).fetchone()[0]
    cut = max(1, -(-len(probabilities) // 10))
    assert top == pytest.approx(sum(probabilities[:cut]) / cut, abs=1e-6)


def test_prefect_shows_the_leaderboard_and_the_monitor_board(first_run: dict) -> None:
    """What the Prefect UI's Artifacts page shows: the train flow's leaderboard and the monitor's
    SLA board with its drift summary."""
    artifacts = {a["key"]: a for a in _prefect_api("artifacts/filter") if a.get("key")}
    assert {"canvass-leaderboard", "canvass-monitor"} <= set(artifacts)
    assert "freshness.newest_inspection" in artifacts["canvass-monitor"]["data"]
    assert "random" in str(artifacts["canvass-leaderboard"]["data"])  # the baselines are in it


def test_promote_and_rollback_change_what_the_api_and_the_dashboard_serve(
    first_run: dict, db: psycopg.Connection
) -> None:
    import json
    import os

    from fastapi.testclient import TestClient
    from prefect.settings import PREFECT_API_URL
    from support.cli import canvass_streams

    from api.app import create_app
    from dashboards.ranking.data import RankingStore
    from dashboards.ranking.main import header_html
    from ml import governance

    champion = governance.champion(db)
    # a cross-validation model of another group, proposed as a manual selection would propose it
    other, experiment_hash, group = db.execute(
        "select m.model_id, em.experiment_hash, m.model_group_id from ml.models as m "
        "join ml.experiment_models as em using (model_id) where em.role = 'cv' "
        "and m.model_group_id <> (select model_group_id from ml.models where model_id = %s) "
        "order by m.test_start desc, m.model_id limit 1",
        [champion],
    ).fetchone()
    governance.propose(
        db, other, experiment_hash, group, "best_average", "a challenger", {}, "manual"
    )
    db.commit()  # for the commands below, and no lock held while they build
    assert governance.challenger(db) == other and governance.champion(db) == champion
    db.commit()
    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "COLUMNS": "200"}

    def served() -> tuple[str, str, str]:
        with TestClient(create_app()) as client:
            current = client.get("/models/current").json()["model_id"]
            scored = client.get("/health").json()["scoring_model_id"]
        snapshot = RankingStore(ttl_seconds=0).snapshot(refresh=True)
        return current, scored, header_html(snapshot)

    promoted = canvass_streams(env, "models", "promote", other, "--reason", "a better month")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    current, scored, header = served()
    assert current == scored == other  # the API describes it and the ranking is its
    assert other[:8] in header and "(champion)" in header  # the dashboard shows it

    rolled = canvass_streams(env, "models", "rollback", "--reason", "it was not")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    current, scored, header = served()
    assert current == scored == champion
    assert champion[:8] in header

    shown = canvass_streams(env, "models", "history", "--format", "json")
    moves = json.loads(shown.stdout)["Alias moves (newest first)"]
    champion_moves = [
        (m["action"], m["model"], m["reason"]) for m in moves if m["alias"] == "champion"
    ]
    assert champion_moves[:2] == [
        ("rollback", champion, "it was not"),
        ("promote", other, "a better month"),
    ]
