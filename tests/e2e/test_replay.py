"""A replay walks history as production would have, and a second replay of the same range gives
the same scores, drift and performance rows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from support.dbt_sandbox import sandbox

from flows.sources.demo import generate_inspections, write_export_csv

pytestmark = pytest.mark.slow

DAYS = (date(2019, 9, 2), date(2019, 12, 2))  # a quarter apart: the first list gets labels
SCORES = "select model_id, as_of_date, establishment_id, score, rank_abs from ml.scores"
DRIFT = (
    "select as_of_date, model_id, comparison, feature, statistic, value, status from "
    "monitoring.drift"
)
PERFORMANCE = (
    "select as_of_date, model_id, cut, ranked, inspected, failed, realised_precision, "
    "promised_precision, expected_precision, expected_precision_inspected, estimate_status "
    "from monitoring.performance"
)


@pytest.fixture(scope="module")
def replay_db(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sandbox(warehouse_url, "canvass_replay") as url:
        saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "CANVASS_LANDING_URL")}
        os.environ["DATABASE_URL"] = url
        os.environ["CANVASS_LANDING_URL"] = str(tmp_path_factory.mktemp("replay-landing"))
        try:
            yield url
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "export.csv"
    write_export_csv(generate_inspections(n_establishments=250, seed=11), path)
    return path


def _rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(query).fetchall(), key=repr)


@pytest.fixture(scope="module")
def replayed(replay_db: str, export: Path, prefect_harness: None) -> dict:
    from flows.cycle import replay

    first = replay(source=str(export), start=DAYS[0], end=DAYS[1], every_days=91, quick=True)
    tables = {q: _rows(replay_db, q) for q in (SCORES, DRIFT, PERFORMANCE)}
    second = replay(source=str(export), start=DAYS[0], end=DAYS[1], every_days=91, quick=True)
    return {"first": first, "second": second, "tables": tables}


def test_each_step_knows_only_its_past(replayed: dict, replay_db: str) -> None:
    first = replayed["first"]
    assert first["days"] == list(DAYS)
    with psycopg.connect(replay_db) as conn:
        # the first step loaded only what was dated before its day
        first_load = first["weeks"][0]["ingest"]
        newest = conn.execute(
            "select max(inspection_date) from raw.food_inspections where batch_id = %s",
            [first_load["batch_id"]],
        ).fetchone()[0]
        assert newest < DAYS[0]
        decisions = conn.execute(
            "select as_of_date, retrain, reason, trained_model_id is not null "
            "from monitoring.retraining_decisions order by as_of_date"
        ).fetchall()
        train_ends = conn.execute(
            "select max(models.train_end) from ml.scores as scores "
            "inner join ml.models as models on scores.model_id = models.model_id "
            "where scores.as_of_date = %s",
            [DAYS[0]],
        ).fetchone()[0]
    # the first replay started from nothing; the second found the first's last model, which had
    # seen data after the first day: both retrained, and the decision table keeps the latest
    assert "no model is deployed" in first["weeks"][0]["decision"]["reason"]
    assert decisions[0][:2] == (DAYS[0], True) and "has seen data after" in decisions[0][2]
    assert decisions[0][3]  # the model trained is recorded with the decision
    assert [d[0] for d in decisions] == list(DAYS)
    assert train_ends <= DAYS[0]  # the first ranking was made by a model that saw only its past


def test_a_weeks_build_leaves_out_whole_table_and_code_only_tests_and_what_score_rebuilds(
    replayed: dict, replay_db: str
) -> None:
    with psycopg.connect(replay_db) as conn:
        builds = conn.execute(
            "select invocations.command, "
            "count(*) filter (where results.resource_type = 'test'), "
            "count(*) filter (where results.unique_id ~ "
            "'matches_strictly_earlier_count|assert_deduplication_reconciles|assert_no_feature'), "
            "count(*) filter (where results.unique_id ~ 'model\\.canvass\\.(fct_rankings|stg_ml__)'), "
            "count(*) filter (where results.unique_id = 'model.canvass.ml_scoring_cohort'), "
            "count(*) filter (where results.resource_type = 'seed'), "
            "count(*) filter (where results.resource_type = 'unit_test' "
            "or results.unique_id ~ '^test\\.canvass\\.unique_feature_catalogue_feature') "
            "from meta.dbt_invocations as invocations "
            "inner join meta.dbt_node_results as results using (invocation_id) "
            "where invocations.command like 'build%%' and invocations.command not like '%%--select%%' "
            "group by invocations.invocation_id, invocations.command"
        ).fetchall()
    # two replays of two weeks each: every week built the warehouse, without the whole-table
    # tests, the tests of the code alone (unit tests, the seeds' files) and the delivery layer,
    # but with its other tests, the seeds and the scoring cohort
    assert len(builds) == 4
    for command, tests, whole_table, delivery, cohort, seeds, code_only in builds:
        assert "--exclude" in command and "tag:whole_table" in command
        assert tests > 0 and whole_table == 0 and delivery == 0 and cohort == 1
        assert seeds == 6 and code_only == 0


def test_the_second_day_is_monitored_against_the_first(replayed: dict, replay_db: str) -> None:
    drift = replayed["tables"][DRIFT]
    second_day = {(r[2], r[3]) for r in drift if r[0] == DAYS[1]}
    assert ("previous_run", "score") in second_day
    assert any(c == "training" for c, _ in second_day)
    # the first day's ranking has labels by the second day: part of it is inspected since, and
    # each cut counts the inspected among exactly its ranked establishments
    with psycopg.connect(replay_db) as conn:
        inspected_by_rank = conn.execute(
            "select scores.rank_abs, bool_or(features.inspection_id is not null) "
            "from ml.scores as scores left join marts.ml_features as features "
            "on features.establishment_id = scores.establishment_id "
            "and features.inspection_date >= scores.as_of_date "
            "and features.inspection_date < %s "
            "where scores.as_of_date = %s group by scores.rank_abs",
            [DAYS[1], DAYS[0]],
        ).fetchall()
    assert sum(seen for _, seen in inspected_by_rank) > 0
    perf = {r[2]: r for r in replayed["tables"][PERFORMANCE] if r[0] == DAYS[0]}
    assert perf["10_pct"][7] is not None  # what cross-validation promised
    for _, ranked, inspected in ((r[2], r[3], r[4]) for r in perf.values()):
        assert inspected == sum(seen for rank, seen in inspected_by_rank if rank <= ranked)


def test_the_first_days_list_is_audited_on_what_happened(replayed: dict, replay_db: str) -> None:
    with psycopg.connect(replay_db) as conn:
        audited = conn.execute(
            "select attribute_name, metric, count(*) from marts.fct_realised_fairness "
            "where as_of_date = %s group by attribute_name, metric order by 1, 2",
            [DAYS[0]],
        ).fetchall()
    assert {(a, m) for a, m, _ in audited} >= {("facility_group", "fnr"), ("zip", "fnr")}


def test_a_second_replay_gives_the_same_tables(replayed: dict, replay_db: str) -> None:
    for query, before in replayed["tables"].items():
        assert _rows(replay_db, query) == before, query
    assert replayed["second"]["weeks"][0]["ingest"]["rows_inserted"] == 0


def test_the_monitoring_and_model_pages_draw_the_replayed_history(
    replayed: dict, replay_db: str
) -> None:
    """What `make demo`'s replay is for: every chart of both pages has the replay's runs."""
    from bokeh.document import Document
    from bokeh.models import ColumnDataSource, DataTable
    from support.delivery_seed import reader_settings

    from dashboards.model import data as model_data
    from dashboards.model import main as model_page
    from dashboards.monitoring import data as monitoring_data
    from dashboards.monitoring import main as monitoring_page

    settings = reader_settings(replay_db)
    monitoring = monitoring_data.read(settings)
    assert monitoring.problem is None
    assert set(monitoring.scores["as_of_date"]) == set(DAYS)  # the score band of both runs
    assert set(monitoring.drift_history["as_of_date"]) == {DAYS[1]}  # the second against the first
    assert len(monitoring.sla_history) and len(monitoring.performance)
    doc = Document()
    monitoring_page.build_document(doc, monitoring)
    sources = [s.data for s in doc.select({"type": ColumnDataSource})]
    assert all(len(next(iter(d.values()), [])) for d in sources if d), "an empty chart"

    model = model_data.read(settings)
    assert model.problem is None
    kinds = set(model.leaderboard["candidate_kind"])
    assert kinds == {"model", "baseline"}
    assert model.leaderboard["is_deployed_group"].sum() == 1
    assert model.windows["test_start_date"].nunique() >= 2
    assert set(model.fairness["as_of_date"]) >= {DAYS[0]}
    doc = Document()
    model_page.build_document(doc, model)
    (board,) = [t.source.data for t in doc.select({"type": DataTable})]
    assert sum(c.startswith("★") for c in board["candidate"]) == 1  # the deployed group
