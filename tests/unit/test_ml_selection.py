"""Selection rules over made-up evaluation tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ml.config import SelectionConfig
from ml.selection import regret, regret_summary, select

WINDOWS = [dt.date(2014, 1, 1), dt.date(2014, 2, 1), dt.date(2014, 3, 1)]
VALUES = {
    "steady": [0.50, 0.50, 0.50],  # mean 0.500, std 0
    "volatile": [0.30, 0.70, 0.60],  # mean 0.533, the best average
    "late_bloomer": [0.20, 0.20, 0.80],  # best in the most recent window
}


def _evals() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"model_group_id": g, "test_start": w, "value": v}
            for g, values in VALUES.items()
            for w, v in zip(WINDOWS, values, strict=True)
        ]
    )


def _parity(shares: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"model_group_id": g, "test_start": w, "parity_share": s}
            for g, s in shares.items()
            for w in WINDOWS
        ]
    )


def _by_rule(choices) -> dict[str, str]:
    return {c.rule: c.model_group_id for c in choices}


def test_each_rule_picks_its_winner() -> None:
    choices = select(_evals(), SelectionConfig(variance_tolerance=0.05, recent_windows=2))
    assert _by_rule(choices) == {
        "best_average": "volatile",
        "lowest_variance": "steady",  # within 0.05 of the best mean, and flat
        "best_most_recent": "late_bloomer",
        "best_recent_average": "volatile",  # the last two windows: 0.65 against 0.50 and 0.50
        # each group wins one window: the tie goes to the higher mean
        "most_frequent_best": "volatile",
    }
    primary = [c for c in choices if c.is_primary]
    assert len(primary) == 1 and primary[0].rule == "best_average"
    assert primary[0].value == pytest.approx(1.6 / 3)
    assert "precision@10_pct" in primary[0].metric


def test_a_tight_tolerance_leaves_only_the_best() -> None:
    choices = select(_evals(), SelectionConfig(variance_tolerance=0.01))
    assert _by_rule(choices)["lowest_variance"] == "volatile"


def test_fairness_constraint_excludes_groups() -> None:
    parity = _parity({"steady": 0.9, "volatile": 0.2, "late_bloomer": 0.6})
    choices = select(_evals(), SelectionConfig(min_parity_share=0.5), parity)
    assert _by_rule(choices)["best_average"] == "steady"
    assert all("excluded" in c.reason for c in choices)


def test_constraint_is_relaxed_when_no_group_meets_it() -> None:
    parity = _parity({"steady": 0.1, "volatile": 0.2, "late_bloomer": 0.3})
    choices = select(_evals(), SelectionConfig(min_parity_share=0.5), parity)
    assert _by_rule(choices)["best_average"] == "volatile"
    assert "relaxed" in choices[0].reason


def test_ties_are_deterministic() -> None:
    evals = pd.DataFrame(
        [{"model_group_id": g, "test_start": WINDOWS[0], "value": 0.4} for g in ("b", "a", "c")]
    )
    assert {c.model_group_id for c in select(evals, SelectionConfig())} == {"a"}


def test_no_evaluations_is_an_error() -> None:
    with pytest.raises(ValueError):
        select(pd.DataFrame(columns=["model_group_id", "test_start", "value"]), SelectionConfig())


def test_the_most_frequent_best_counts_windows_won() -> None:
    windows = [dt.date(2014, m, 1) for m in range(1, 5)]
    values = {"often": [0.6, 0.6, 0.6, 0.1], "once": [0.5, 0.5, 0.5, 0.9]}  # "once" has the mean
    evals = pd.DataFrame(
        [
            {"model_group_id": g, "test_start": w, "value": v}
            for g, vs in values.items()
            for w, v in zip(windows, vs, strict=True)
        ]
    )
    choices = {c.rule: c for c in select(evals, SelectionConfig(recent_windows=1))}
    assert choices["most_frequent_best"].model_group_id == "often"
    assert choices["most_frequent_best"].value == 3
    assert "best precision@10_pct in 3 of 4 windows" in choices["most_frequent_best"].reason
    assert choices["best_recent_average"].model_group_id == "once"


def test_regret_replays_each_rule_on_the_windows_before() -> None:
    replayed = regret(_evals(), SelectionConfig(rules=("best_average", "best_most_recent")))
    by = {(r.rule, r.test_start): r for r in replayed.itertuples()}
    # February, from January alone: both rules choose steady (0.50), the month's best is 0.70
    assert by[("best_average", WINDOWS[1])].model_group_id == "steady"
    assert by[("best_average", WINDOWS[1])].regret == pytest.approx(0.2)
    # March: steady and volatile tie on the mean, steady is flatter; most recent says volatile
    assert by[("best_average", WINDOWS[2])].regret == pytest.approx(0.3)
    assert by[("best_most_recent", WINDOWS[2])].model_group_id == "volatile"
    assert by[("best_most_recent", WINDOWS[2])].regret == pytest.approx(0.2)
    summary = regret_summary(replayed).set_index("rule")
    assert summary.index.tolist() == ["best_most_recent", "best_average"]  # lowest regret first
    assert summary.loc["best_average", "mean_regret"] == pytest.approx(0.25)
    assert summary.loc["best_most_recent", "max_regret"] == pytest.approx(0.2)
    assert summary.loc["best_average", "windows"] == 2
    assert summary.loc["best_average", "best_share"] == 0
    january = _evals()[_evals()["test_start"] == WINDOWS[0]]
    assert regret_summary(regret(january, SelectionConfig())).empty  # one window: nothing before
