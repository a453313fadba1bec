"""Drift statistics on constructed distributions with known values, and realised performance on a
hand-made schedule with late labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml import monitoring
from ml.monitoring import DriftThresholds, Thresholds

# shares 0.5/0.5 against 0.9/0.1: 0.4 ln(1.8) + 0.4 ln(5)
PSI_HALF_VS_NINETY = 0.4 * math.log(1.8) + 0.4 * math.log(5)


def test_psi_from_shares_matches_the_formula() -> None:
    assert monitoring.psi_from_shares(np.array([50, 50]), np.array([90, 10])) == pytest.approx(
        PSI_HALF_VS_NINETY
    )
    assert monitoring.psi_from_shares(np.array([3, 7]), np.array([30, 70])) == pytest.approx(0)


def test_psi_numeric_bins_on_the_reference_quantiles() -> None:
    reference = pd.Series(np.arange(1000, dtype=float))  # median 499.5: two bins of 500
    current = pd.Series([*np.arange(900) % 500, *(500 + np.arange(100))], dtype=float)
    assert monitoring.psi_numeric(reference, current, bins=2) == pytest.approx(PSI_HALF_VS_NINETY)
    assert monitoring.psi_numeric(reference, reference.sample(frac=1, random_state=1)) == 0


def test_psi_numeric_is_finite_when_a_bin_empties_and_ignores_missing_values() -> None:
    reference = pd.Series(np.arange(100, dtype=float))
    current = pd.Series([5.0] * 50 + [None] * 50)
    value = monitoring.psi_numeric(reference, current)
    assert math.isfinite(value) and value > 1
    assert math.isnan(monitoring.psi_numeric(reference, pd.Series([None], dtype=float)))


def test_psi_edges_sit_between_distinct_values_so_a_group_rate_nudge_is_not_drift() -> None:
    # One rate per facility group, each establishment carrying its group's value (the area rates).
    groups = np.repeat([0.18, 0.23, 0.31], [300, 600, 100])
    edges = monitoring.quantile_edges(groups, 10)
    assert not set(np.round(edges, 9)) & {0.18, 0.23, 0.31}
    assert edges.tolist() == pytest.approx([0.205, 0.27])
    nudged = pd.Series(groups - 0.001)  # next week every rate moved by a tenth of a point
    assert monitoring.psi_numeric(pd.Series(groups), nudged) == pytest.approx(0)
    # counts: the edge between 0 and 1 failure is 0.5
    assert monitoring.quantile_edges(np.array([0, 0, 0, 1, 1, 2, 3.0]), 2).tolist() == [0.5]
    # a real move of the group mix still shows
    remixed = pd.Series(np.repeat([0.18, 0.23, 0.31], [100, 300, 600]))
    assert monitoring.psi_numeric(pd.Series(groups), remixed) > 0.25


def test_values_shared_by_groups_are_compared_by_how_far_they_moved() -> None:
    groups = pd.Series(np.repeat([0.18, 0.23, 0.31], [300, 600, 100]))
    spread = float(np.std(groups))
    assert monitoring.wasserstein_normed(groups, groups + 0.001) == pytest.approx(0.001 / spread)
    assert monitoring.wasserstein_normed(pd.Series([2.0] * 5), pd.Series([3.0] * 5)) == 1.0
    drift = monitoring.feature_drift(
        pd.DataFrame({"rate": groups}),
        pd.DataFrame({"rate": groups + 0.001}),
        ["rate"],
        [],
        DriftThresholds(),
        "previous_run",
        shared=["rate"],
    ).set_index("statistic")
    assert set(drift.index) == {"wasserstein", "missing_change"}  # no PSI, no KS
    assert drift.loc["wasserstein", "status"] == "ok"
    assert drift.loc["wasserstein", "detail"] == "mean moved +0.0010"
    moved = monitoring.feature_drift(
        pd.DataFrame({"rate": groups}),
        pd.DataFrame({"rate": groups + spread / 2}),  # every rate half a deviation up
        ["rate"],
        [],
        DriftThresholds(),
        "previous_run",
        shared=["rate"],
    ).set_index("statistic")
    assert moved.loc["wasserstein", "value"] == pytest.approx(0.5)
    assert moved.loc["wasserstein", "status"] == "alert"


def test_categorical_psi_and_js_distance() -> None:
    same = pd.Series(["a", "b"] * 50)
    assert monitoring.psi_categorical(same, same) == pytest.approx(0)
    assert monitoring.js_distance(same, same) == pytest.approx(0)
    shifted = pd.Series(["a"] * 90 + ["b"] * 10)
    assert monitoring.psi_categorical(same, shifted) == pytest.approx(PSI_HALF_VS_NINETY)
    # disjoint categories are as far apart as base-2 JS distance goes
    assert monitoring.js_distance(pd.Series(["a"] * 5), pd.Series(["b"] * 5)) == pytest.approx(1)
    # a category new in the current data counts, with the empty-bin share on the reference side
    assert monitoring.psi_categorical(same, pd.Series(["a", "b", "c"] * 10)) > 0.25


def test_ks_statistic() -> None:
    statistic, pvalue = monitoring.ks_statistic(pd.Series([1, 2, 3]), pd.Series([4, 5, 6]))
    assert statistic == pytest.approx(1.0)
    assert pvalue < 0.2
    rng = np.random.default_rng(7)
    sample = pd.Series(rng.normal(size=2000))
    assert monitoring.ks_statistic(sample, sample)[0] == pytest.approx(0)
    shifted = monitoring.ks_statistic(sample, sample + 1)[0]
    assert 0.3 < shifted < 0.45  # the N(0,1)/N(1,1) CDF gap is 2*Phi(0.5)-1 = 0.383


def test_thresholds_grade_values() -> None:
    levels = Thresholds(0.1, 0.25)
    assert [levels.status(v) for v in (0.05, 0.1, 0.3, float("nan"), None)] == [
        "ok",
        "warn",
        "alert",
        "unknown",
        "unknown",
    ]


def test_feature_drift_reports_every_statistic_of_every_feature() -> None:
    reference = pd.DataFrame({"x": np.arange(100.0), "kind": ["a", "b"] * 50})
    current = pd.DataFrame({"x": np.arange(100.0) + 80, "kind": ["a"] * 100})
    current.loc[:19, "x"] = None
    drift = monitoring.feature_drift(
        reference, current, ["x"], ["kind"], DriftThresholds(), "training"
    )
    got = {(r.feature, r.statistic): r.status for r in drift.itertuples()}
    assert got == {
        ("x", "psi"): "alert",
        ("x", "ks"): "alert",
        ("kind", "psi"): "alert",
        ("kind", "js_distance"): "alert",
        ("x", "missing_change"): "alert",  # 0% -> 20% missing
        ("kind", "missing_change"): "ok",
    }
    assert set(drift["comparison"]) == {"training"}


def test_a_feature_empty_on_one_side_is_watched_by_its_missing_share_alone() -> None:
    # a source this warehouse never loaded (empty in both) and one that stopped (empty now)
    reference = pd.DataFrame({"never": [None] * 50, "stopped": np.arange(50.0)}, dtype=float)
    current = pd.DataFrame({"never": [None] * 50, "stopped": [None] * 50}, dtype=float)
    drift = monitoring.feature_drift(
        reference, current, ["never", "stopped"], [], DriftThresholds(), "training"
    )
    got = {(r.feature, r.statistic): (r.value, r.status) for r in drift.itertuples()}
    assert got == {
        ("never", "missing_change"): (0.0, "ok"),
        ("stopped", "missing_change"): (1.0, "alert"),
    }


def _ranking(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"establishment_id": [f"e{i}" for i in range(1, n + 1)], "rank_abs": range(1, n + 1)}
    )


def test_realised_precision_counts_only_the_inspected() -> None:
    ranking = _ranking(20)
    # Labels arrive late and partially: 6 of the 20 are inspected yet, 3 of them in the top 10%.
    outcomes = pd.DataFrame(
        {
            "establishment_id": ["e1", "e2", "e1", "e3", "e15", "e18", "e20"],
            "failed": [1, 0, 0, 1, 1, 0, 0],  # e1's second inspection is not its first
        }
    )
    perf = monitoring.realised_performance(ranking, outcomes, [10, 50], capacity=3).set_index("cut")
    assert perf.loc["10_pct"].to_dict() == {
        "ranked": 2,
        "inspected": 2,
        "failed": 1,
        "precision": 0.5,
        "base_rate": pytest.approx(3 / 6),
        "expected_precision": None,  # an uncalibrated ranking expects nothing
        "expected_precision_inspected": None,
    }
    assert perf.loc["capacity", "inspected"] == 3 and perf.loc[
        "capacity", "precision"
    ] == pytest.approx(2 / 3)
    assert perf.loc["50_pct", "ranked"] == 10 and perf.loc["50_pct", "inspected"] == 3


def test_realised_precision_before_any_label_is_unknown() -> None:
    perf = monitoring.realised_performance(
        _ranking(5), pd.DataFrame(columns=["establishment_id", "failed"]), [10], capacity=2
    )
    assert perf["inspected"].tolist() == [0, 0]
    assert perf["precision"].isna().all() and perf["base_rate"].isna().all()


def test_fail_rate_by_decile() -> None:
    outcomes = pd.DataFrame(
        {"establishment_id": [f"e{i}" for i in range(1, 21)], "failed": [1] * 4 + [0] * 16}
    )
    deciles = monitoring.fail_rate_by_decile(_ranking(20), outcomes).set_index("decile")
    assert deciles.loc[1, "fail_rate"] == 1 and deciles.loc[2, "fail_rate"] == 1
    assert deciles.loc[3:, "fail_rate"].eq(0).all()
    assert deciles["inspected"].sum() == 20


def test_an_estimate_alert_reaches_the_monitor_status_and_the_webhook_payload() -> None:
    """A cut whose realised precision is beyond the estimate gap's alert is an alert of the run:
    it is named in the webhook's JSON; a run with only ok cuts has nothing to post."""
    from datetime import UTC, date, datetime

    from flows.monitor import alert_payload
    from ml.observe import ScoringRun, estimate_alerts

    run = ScoringRun("model-a", date(2024, 3, 4))
    found = pd.DataFrame(
        {
            "cut": ["10_pct", "20_pct"],
            "precision": [0.2, 0.5],
            "expected_precision_inspected": [0.55, 0.5],
            "inspected": [40, 80],
            "estimate_status": ["alert", "ok"],
        }
    )
    alerts = estimate_alerts(run, found)
    assert alerts == [
        {
            "as_of_date": "2024-03-04",
            "model_id": "model-a",
            "cut": "10_pct",
            "realised_precision": 0.2,
            "expected_precision": 0.55,
            "inspected": 40,
        }
    ]
    quiet = {"drift_alerts": 0, "drifted": [], "estimate_alerts": []}
    clock = datetime(2024, 3, 11, tzinfo=UTC)
    assert alert_payload("run", clock, "ok", [], quiet) is None
    payload = alert_payload("run", clock, "alert", [], {**quiet, "estimate_alerts": alerts})
    assert payload is not None and payload["estimate_alerts"] == alerts
    assert estimate_alerts(run, found.assign(estimate_status="ok")) == []
