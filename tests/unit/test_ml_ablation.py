"""The ablation on constructed frames: the group that carries the signal is the one that pays."""

from __future__ import annotations

import numpy as np
import pytest

from flows.train import default_experiment
from ml import ablation
from ml.config import ConfigError, load_experiment, parse_experiment
from ml.synthetic import synthetic_features


@pytest.fixture(scope="module")
def config():
    return load_experiment(default_experiment(), "quick")


@pytest.fixture(scope="module")
def frame():
    """Synthetic inspections whose label is mostly the complaints nearby: history is noise."""
    data = synthetic_features(n_establishments=400, seed=3)
    rng = np.random.default_rng(4)
    complaints = rng.poisson(3.0, len(data))
    data["complaints_500m_90d"] = complaints
    data["is_failed"] = (complaints + rng.normal(0, 1.0, len(data))) > 4.5
    critical = data["is_failed"] & (rng.random(len(data)) < 0.7)
    data["has_critical_violation"] = critical.astype(object)
    # unknown critical labels stay unknown: they must be left out, not counted as false
    data.loc[data.index % 7 == 0, "has_critical_violation"] = None
    return data


def test_the_group_that_carries_the_signal_is_the_one_that_adds(config, frame) -> None:
    table = ablation.ablate(frame, config, progress=lambda _: None)
    failed = table[table["label"] == "is_failed"].set_index("step")
    assert list(failed.index) == [
        "history",
        "area",
        "recent_area",
        "complaints",
        "burglary",
        "weather",
    ]
    assert failed.loc["history", "roc_auc"] < 0.65
    assert failed.loc["complaints", "roc_auc_change"] > 0.2
    for step in ("area", "recent_area", "burglary", "weather"):
        assert abs(failed.loc[step, "roc_auc_change"]) < 0.05
    assert failed["n_features"].is_monotonic_increasing
    critical = table[table["label"] == "has_critical_violation"]
    assert set(critical["step"]) == set(failed.index)
    known = frame["has_critical_violation"].notna()
    assert critical["test_rows"].max() <= known.sum()
    assert critical["test_rows"].max() < failed["test_rows"].max()


def test_steps_are_cumulative_and_follow_the_yaml(config) -> None:
    steps = ablation.steps(config)
    assert [s.name for s in steps] == [
        "history",
        "area",
        "recent_area",
        "complaints",
        "burglary",
        "weather",
    ]
    assert "zip_fail_rate_365d" not in steps[0].numeric
    assert "zip_fail_rate_365d" in steps[1].numeric
    assert set(steps[-1].categorical + steps[-1].numeric) == set(config.features)


def test_an_unknown_group_is_refused_by_name() -> None:
    data = {
        "random_seed": 1,
        "label": "is_failed",
        "grid": {"sklearn.linear_model.LogisticRegression": {"C": [1.0]}},
        "ablation": {"steps": {"history": ["history"], "shops": ["shops"]}},
    }
    with pytest.raises(ConfigError, match=r"ablation.steps.shops\[0\]: 'shops' is not one of"):
        parse_experiment(data)
