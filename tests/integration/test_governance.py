"""Champion and challenger on a real Postgres (ml/governance.py): a selection's model is promoted
at once under `promotion: auto` and waits as the challenger under `manual`; promote and rollback
move the champion with who, when and why recorded; rollback walks back one champion at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest

from ml import governance, registry
from warehouse.scratch import scratch_database
from warehouse.settings import parse_database_url

MODELS = ("model-a", "model-b", "model-c")


@pytest.fixture
def conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    """A new registry with three refitted models of one group and nothing deployed."""
    with (
        scratch_database(parse_database_url(warehouse_url), "canvass_governance") as url,
        psycopg.connect(url, autocommit=True) as c,
    ):
        c.execute("insert into ml.experiments (experiment_hash, config) values ('exp', '{}')")
        c.execute(
            "insert into ml.model_groups (model_group_id, algorithm, hyperparameters, "
            "feature_list, label) values ('group', 'sklearn.linear_model.LogisticRegression', "
            "'{}', array['prior_fails'], 'is_failed')"
        )
        for i, model_id in enumerate(MODELS):
            c.execute(
                "insert into ml.models (model_id, model_group_id, experiment_hash, train_end, "
                "train_rows, artifact_path, artifact_sha256, training_seconds, random_seed, "
                "library_versions) values (%s, 'group', 'exp', %s, 10, 'a', 'sha', 1, 1, '{}')",
                [model_id, date(2024, 1 + i, 1)],
            )
        yield c


def _propose(conn: psycopg.Connection, model_id: str, promotion: str) -> governance.Proposal:
    return governance.propose(
        conn,
        model_id,
        "exp",
        "group",
        "best_average",
        f"{model_id}, described",
        {"rule": "best_average"},
        promotion,
    )


def test_auto_promotion_makes_each_selection_the_champion(conn: psycopg.Connection) -> None:
    first = _propose(conn, "model-a", governance.AUTO)
    second = _propose(conn, "model-b", governance.AUTO)
    assert (first.version, first.promoted, second.version, second.promoted) == (1, True, 2, True)
    assert governance.champion(conn) == registry.deployed_model_id(conn) == "model-b"
    again = _propose(conn, "model-b", governance.AUTO)  # the champion proposed again: no change
    assert again.promoted and again.version == 2
    assert conn.execute("select count(*) from ml.deployments").fetchone()[0] == 2
    by = conn.execute("select distinct deployed_by from ml.deployments").fetchall()
    assert by == [(governance.SELECTION,)]


def test_manual_promotion_waits_for_a_person(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _propose(conn, "model-a", governance.MANUAL).promoted  # the first: nothing else scores
    waiting = _propose(conn, "model-b", governance.MANUAL)
    assert (waiting.promoted, waiting.champion_id) == (False, "model-a")
    assert governance.champion(conn) == "model-a"
    assert governance.challenger(conn) == "model-b"
    aliases = {v["model_id"]: v["alias"] for v in governance.versions(conn)}
    assert aliases == {"model-a": "champion", "model-b": "challenger"}

    monkeypatch.setenv("CANVASS_ACTOR", "inspector.lee")
    governance.promote(conn, "model-b", governance.actor(), "reviewed the model card")
    assert governance.champion(conn) == "model-b"
    assert governance.challenger(conn) is None  # withdrawn on becoming the champion
    moves = governance.history(conn)
    assert (moves[1]["alias"], moves[1]["action"], moves[1]["actor"], moves[1]["reason"]) == (
        "champion",
        "promote",
        "inspector.lee",
        "reviewed the model card",
    )
    deployed_by = conn.execute(
        "select deployed_by from ml.deployments order by deployment_id desc limit 1"
    ).fetchone()[0]
    assert deployed_by == "inspector.lee"


def test_promotion_refuses_what_it_cannot_do(conn: psycopg.Connection) -> None:
    _propose(conn, "model-a", governance.AUTO)
    with pytest.raises(governance.GovernanceError, match="is the champion already"):
        governance.promote(conn, "model-a", "someone", "again")
    with pytest.raises(governance.GovernanceError, match="no version a selection proposed"):
        governance.promote(conn, "model-c", "someone", "never proposed")
    with pytest.raises(governance.GovernanceError, match="no earlier champion"):
        governance.rollback(conn, "someone", "nothing before")
    with pytest.raises(governance.GovernanceError, match="not one of"):
        _propose(conn, "model-b", "sometimes")


def test_rollback_walks_back_one_champion_at_a_time(conn: psycopg.Connection) -> None:
    for model_id in MODELS:
        _propose(conn, model_id, governance.AUTO)
    assert governance.champion_stack(conn) == ["model-a", "model-b", "model-c"]
    assert governance.rollback(conn, "someone", "c ranks badly") == ("model-c", "model-b")
    assert governance.champion(conn) == "model-b"
    assert governance.rollback(conn, "someone", "b too") == ("model-b", "model-a")
    assert governance.champion(conn) == "model-a"
    with pytest.raises(governance.GovernanceError, match="no earlier champion"):
        governance.rollback(conn, "someone", "a is the first")
    actions = conn.execute(
        "select model_id, action from ml.deployments order by deployment_id"
    ).fetchall()
    assert actions[-2:] == [("model-b", "rollback"), ("model-a", "rollback")]
    # promoting again after a rollback pushes, so the next rollback returns to model-a
    governance.promote(conn, "model-c", "someone", "fixed")
    assert governance.rollback(conn, "someone", "not fixed")[1] == "model-a"


def test_a_version_proposed_again_by_a_later_experiment_is_deployed_under_it(
    conn: psycopg.Connection,
) -> None:
    _propose(conn, "model-a", governance.AUTO)
    _propose(conn, "model-b", governance.AUTO)
    # a later experiment (another capacity, say) selects model-a again: the same rows and group
    conn.execute("insert into ml.experiments (experiment_hash, config) values ('exp-2', '{}')")
    governance.propose(
        conn, "model-a", "exp-2", "group", "lowest_variance", "again", {}, governance.AUTO
    )
    deployed = conn.execute(
        "select model_id, experiment_hash, rule from ml.deployments "
        "order by deployed_at desc, deployment_id desc limit 1"
    ).fetchone()
    assert deployed == ("model-a", "exp-2", "lowest_variance")  # not the version's first, exp
    version = conn.execute(
        "select version, experiment_hash from ml.model_versions where model_id = 'model-a'"
    ).fetchone()
    assert version == (1, "exp")  # the version itself keeps where it was first registered
