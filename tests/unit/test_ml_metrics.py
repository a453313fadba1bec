"""Ranking metrics against hand-worked examples, ties included, and the days-earlier simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml import metrics


def test_k_rows_rounds_up_and_keeps_at_least_one() -> None:
    assert metrics.k_rows(10, 10) == 1
    assert metrics.k_rows(11, 10) == 2  # 1.1 rows -> 2
    assert metrics.k_rows(100, 10) == 10  # no float surprise at exact multiples
    assert metrics.k_rows(5, 1) == 1
    assert metrics.k_rows(0, 10) == 0
    assert metrics.k_rows(3, 100) == 3


def test_precision_and_recall_without_ties() -> None:
    labels = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    assert metrics.precision_at_k(labels, scores, 10) == 1.0  # top 1: the 0.9, a positive
    assert metrics.precision_at_k(labels, scores, 20) == 0.5
    assert metrics.precision_at_k(labels, scores, 30) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(labels, scores, 30) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(labels, scores, 100) == 1.0


def test_ties_at_the_cut_count_at_their_expected_value() -> None:
    # top 2 of 4: the 0.9 positive for sure, then one slot shared by a tied positive and negative.
    labels = [1, 1, 0, 0]
    scores = [0.9, 0.5, 0.5, 0.1]
    assert metrics.expected_hits(labels, scores, 2) == 1.5
    assert metrics.precision_at_k(labels, scores, 50) == 0.75
    assert metrics.recall_at_k(labels, scores, 50) == 0.75
    # Row order does not matter.
    assert metrics.precision_at_k(labels[::-1], scores[::-1], 50) == 0.75
    # All tied: precision is the prevalence, whatever k is.
    assert metrics.precision_at_k([1, 0, 0, 0], [0.3] * 4, 25) == 0.25


def test_precision_at_daily_capacity() -> None:
    dates = pd.to_datetime(["2014-01-02", "2014-01-02", "2014-01-03", "2014-01-03", "2014-01-03"])
    labels = [0, 1, 1, 0, 0]
    scores = [0.1, 0.9, 0.8, 0.7, 0.2]
    assert metrics.capacity_rows(dates, 1) == 2  # 2 inspection days x 1 per day
    assert metrics.precision_at_capacity(labels, scores, dates, 1) == 1.0
    assert metrics.precision_at_capacity(labels, scores, dates, 2) == 0.5  # top 4: 2 of 4
    assert metrics.precision_at_capacity(labels, scores, dates, 10) == 0.4  # capped at all 5 rows


def test_days_earlier_on_a_tiny_schedule() -> None:
    # Day 1: A, B (pass); day 2: C (fail); day 3: D (fail). Slots: day1, day1, day2, day3.
    dates = pd.to_datetime(["2014-03-01", "2014-03-01", "2014-03-02", "2014-03-03"])
    labels = [0, 0, 1, 1]
    # Visit C, D first: C moves from day 2 to day 1 (1 day), D from day 3 to day 1 (2 days).
    assert metrics.days_earlier(dates, labels, [0.1, 0.2, 0.9, 0.8]) == 1.5
    # The actual order re-creates the actual schedule: nothing gained.
    assert metrics.days_earlier(dates, labels, [0.9, 0.8, 0.2, 0.1]) == 0.0
    # Worst order: fails last -> C goes to day 3 (1 day late), D to day 2 (1 day early).
    assert metrics.days_earlier(dates, labels, [0.9, 0.8, 0.1, 0.2]) == 0.0
    # All tied: each row's expected slot is the mean slot day (1.75): C 0.25, D 1.25 earlier.
    assert metrics.days_earlier(dates, labels, [0.5] * 4) == pytest.approx(0.75)
    assert math.isnan(metrics.days_earlier(dates, [0, 0, 0, 0], [0.5] * 4))


def test_simulated_dates_keep_each_days_count() -> None:
    dates = pd.to_datetime(["2014-03-01", "2014-03-01", "2014-03-02", "2014-03-05"])
    sim = metrics.simulated_dates(dates, [0.1, 0.4, 0.3, 0.2])
    actual = (dates - pd.Timestamp("1970-01-01")).days.to_numpy()
    assert sorted(sim) == sorted(actual)


def test_rank_order_breaks_ties_by_the_given_key() -> None:
    ranks = metrics.rank_order([0.5, 0.9, 0.5, 0.1], tiebreak=[30, 20, 10, 40])
    assert ranks.tolist() == [3, 1, 2, 4]


def test_auc_and_brier_by_hand() -> None:
    labels = [0, 0, 1, 1]
    assert metrics.roc_auc(labels, [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert metrics.brier(labels, [0.0, 0.0, 1.0, 0.5]) == pytest.approx(0.0625)
    assert math.isnan(metrics.roc_auc([1, 1], [0.2, 0.3]))


def test_evaluate_keys_match_the_registry() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 50)
    out = metrics.evaluate(
        labels,
        rng.random(50),
        pd.date_range("2014-01-01", periods=50, freq="D"),
        top_k_percent=[1, 10],
        daily_capacity=3,
    )
    assert {
        ("precision@", "1_pct"),
        ("recall@", "10_pct"),
        ("precision@capacity", "3_per_day"),
    } <= set(out)
    assert {("roc_auc", ""), ("brier", ""), ("days_earlier", ""), ("test_rows", "")} <= set(out)
    assert out[("test_rows", "")] == 50
    # 3 a day over 50 inspection days: the budget exceeds the window (precision@capacity is the
    # base rate then, which the report says)
    assert out[("capacity_rows", "3_per_day")] == 150
    assert out[("prevalence", "")] == pytest.approx(labels.mean())
