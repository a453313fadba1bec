"""Calibration and expected performance before labels (CBPE) on a toy model whose true failure
probabilities are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import calibration, monitoring


def _toy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True probabilities p, labels drawn from them, and an overconfident score p**2 that ranks
    perfectly but is no probability."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, n)
    return p, (rng.uniform(size=n) < p).astype(int), p**2


def test_the_ece_of_known_cases() -> None:
    labels = np.array([1, 0, 1, 0])
    assert calibration.expected_calibration_error(np.full(4, 0.5), labels) == 0
    # two bins: 0.1 among failures-free rows (gap 0.1), 0.9 among failing rows (gap 0.1)
    assert calibration.expected_calibration_error(
        np.array([0.1, 0.1, 0.9, 0.9]), np.array([0, 0, 1, 1])
    ) == pytest.approx(0.1)
    assert calibration.brier(np.array([1.0, 0.0]), np.array([0, 0])) == 0.5


@pytest.mark.parametrize("method", calibration.METHODS)
def test_calibration_recovers_the_true_probabilities_and_keeps_the_order(method: str) -> None:
    p, labels, scores = _toy(20_000, seed=1)
    fitted = calibration.fit(scores, labels, method)
    assert fitted.rows == 20_000
    assert fitted.ece_before > 0.1  # p**2 understates every risk
    # measured out of fold; Platt's logistic curve cannot bend to sqrt exactly, isotonic can
    assert fitted.ece_after < (0.03 if method == "isotonic" else 0.05)
    assert fitted.brier_after < fitted.brier_before
    fresh_p, _, fresh_scores = _toy(5_000, seed=2)
    probabilities = fitted.apply(fresh_scores)
    assert np.abs(probabilities - fresh_p).mean() < 0.05
    assert (np.diff(probabilities[np.argsort(fresh_scores)]) >= -1e-12).all()  # monotone


def test_expected_precision_of_the_top_decile_matches_what_then_happens() -> None:
    p, labels, scores = _toy(20_000, seed=3)
    fitted = calibration.fit(scores, labels)
    _, next_labels, next_scores = _toy(20_000, seed=4)  # next week's cohort, labels not yet known
    ranking = pd.DataFrame(
        {
            "establishment_id": np.arange(len(next_scores)).astype(str),
            "rank_abs": pd.Series(-next_scores).rank(method="first").astype(int),
            "probability": fitted.apply(next_scores),
        }
    )
    top = ranking["rank_abs"] <= 2_000
    expected = calibration.expected_precision(ranking.loc[top, "probability"])
    assert expected == pytest.approx(p[p >= np.quantile(p, 0.9)].mean(), abs=0.03)
    # the labels arrive for half of the top decile: the realised precision meets the estimate
    outcomes = pd.DataFrame(
        {"establishment_id": ranking["establishment_id"], "failed": next_labels}
    ).iloc[::2]
    perf = monitoring.realised_performance(ranking, outcomes, [10], capacity=100).set_index("cut")
    row = perf.loc["10_pct"]
    assert 900 < row["inspected"] < 1_100  # every second establishment of the cohort
    assert row["expected_precision"] == pytest.approx(expected, abs=1e-6)
    assert abs(row["precision"] - row["expected_precision_inspected"]) < 0.05
    status = monitoring.estimate_status(
        row["precision"],
        row["expected_precision_inspected"],
        1_000,
        monitoring.Thresholds(0.1, 0.2),
        20,
    )
    assert status == "ok"


def test_an_estimate_gap_is_graded_once_enough_are_inspected() -> None:
    levels = monitoring.Thresholds(0.1, 0.2)
    assert monitoring.estimate_status(0.2, 0.45, 30, levels, 20) == "alert"
    assert monitoring.estimate_status(0.35, 0.45, 30, levels, 20) == "warn"
    assert monitoring.estimate_status(0.2, 0.45, 10, levels, 20) == "unknown"
    assert monitoring.estimate_status(None, 0.45, 30, levels, 20) == "unknown"


def test_calibration_refuses_rows_it_cannot_learn_from() -> None:
    with pytest.raises(ValueError, match="both outcomes"):
        calibration.fit(np.linspace(0, 1, 50), np.zeros(50))
    with pytest.raises(ValueError, match="unknown calibration method"):
        calibration.fit(np.linspace(0, 1, 50), np.arange(50) % 2, "beta")
