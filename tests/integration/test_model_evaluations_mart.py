"""marts.fct_model_evaluations over the hand-made registry (tests/support/delivery_seed.py): the
current experiment is the one that most recently chose the champion, and a reused model's
evaluations at cuts its experiment did not ask for are left out."""

from __future__ import annotations

from pathlib import Path

import psycopg
from support.dbt_sandbox import dbt
from support.delivery_seed import create_delivery_database, drop_delivery_database


def test_the_current_experiment_and_only_its_cuts(warehouse_url: str, tmp_path: Path) -> None:
    url = create_delivery_database(warehouse_url)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            # model-w1 was also evaluated at a capacity of an experiment before this one
            conn.execute(
                "insert into ml.evaluations (model_id, metric, parameter, value) "
                "values ('model-w1', 'precision@capacity', '99_per_day', 0.9)"
            )
            # a later experiment reuses the same models and chooses the champion again: a new
            # selection, no new deployment
            conn.execute(
                "insert into ml.experiments (experiment_hash, config) values ('exp-2', '{}')"
            )
            conn.execute(
                "insert into ml.experiment_models (experiment_hash, model_id, role) "
                "values ('exp-2', 'model-w1', 'cv'), ('exp-2', 'model-w2', 'cv')"
            )
            conn.execute(
                "insert into ml.baseline_evaluations (experiment_hash, baseline, test_start, "
                "test_end, metric, parameter, value) values "
                "('exp-2', 'random', '2023-10-01', '2023-11-01', 'precision@', '10_pct', 0.2)"
            )
            conn.execute(
                "insert into ml.selections (experiment_hash, model_group_id, deployed_model_id, "
                "rule, metric, value, selected_at) values ('exp-2', 'group-1', 'model-new', "
                "'best_average', 'mean:precision@10_pct', 0.4, now())"
            )
        dbt(["build", "--select", "fct_model_evaluations"], url, tmp_path / "target")
        with psycopg.connect(url) as conn:
            current = conn.execute(
                "select distinct experiment_hash from marts.fct_model_evaluations "
                "where is_latest_experiment"
            ).fetchall()
            stale = conn.execute(
                "select count(*) from marts.fct_model_evaluations where parameter = '99_per_day'"
            ).fetchone()[0]
            kept = conn.execute(
                "select count(*) from marts.fct_model_evaluations where experiment_hash = 'exp-2' "
                "and candidate_kind = 'model' and metric = 'precision@'"
            ).fetchone()[0]
    finally:
        drop_delivery_database(warehouse_url, url)
    assert current == [("exp-2",)]  # not exp-1, the experiment of the deployment
    assert stale == 0  # no experiment evaluated its baselines at that cut
    assert kept == 2  # the cuts it did ask for stay, one per window
