"""Ranking metrics for a list the team works down from the top.

Ties. A score shared by several rows says nothing about their order, so no metric here depends on
an arbitrary tie-break: where a block of tied rows straddles a cut-off (top k, a day's capacity),
the metric takes the *expected* value over every order of the tied block (equivalently: each tied
row fills the remaining slots with equal probability). The result is deterministic, independent of
row order and ids, and neither flatters nor punishes a model (or a baseline such as "highest risk
first", which is mostly ties). `rank_order()` gives integer ranks for storage, breaking ties by a
caller-supplied key (the inspection or establishment id), which metrics never use.

Top k%: the list length is `ceil(n * k / 100)` rows (at least 1 when n > 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score


def _arrays(labels: Sequence, scores: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError("labels and scores differ in length")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    return y, s


def k_rows(n: int, k_percent: float) -> int:
    """Rows in the top k% of n: ceil(n * k / 100), at least 1 when n > 0, at most n."""
    if n <= 0:
        return 0
    return min(n, max(1, math.ceil(n * k_percent / 100 - 1e-9)))


def expected_hits(labels: Sequence, scores: Sequence, n_top: int) -> float:
    """Expected number of positives among the `n_top` highest scores (ties at the cut shared)."""
    y, s = _arrays(labels, scores)
    n_top = max(0, min(n_top, len(y)))
    if n_top == 0:
        return 0.0
    order = np.argsort(-s, kind="stable")
    cut_score = s[order[n_top - 1]]
    above = s > cut_score
    tied = s == cut_score
    slots_left = n_top - int(above.sum())
    hits = float(y[above].sum())
    n_tied = int(tied.sum())
    return hits + slots_left * float(y[tied].sum()) / n_tied


def precision_at_k(labels: Sequence, scores: Sequence, k_percent: float) -> float:
    """Share of positives in the top k% of rows (expected value over ties)."""
    n_top = k_rows(len(labels), k_percent)
    return expected_hits(labels, scores, n_top) / n_top if n_top else float("nan")


def recall_at_k(labels: Sequence, scores: Sequence, k_percent: float) -> float:
    """Share of all positives found in the top k% of rows (expected value over ties)."""
    positives = float(np.asarray(labels, dtype=float).sum())
    if positives == 0:
        return float("nan")
    return expected_hits(labels, scores, k_rows(len(labels), k_percent)) / positives


def precision_at_n(labels: Sequence, scores: Sequence, n_top: int) -> float:
    """Share of positives among the n highest scores (n capped at the number of rows)."""
    n_top = min(n_top, len(labels))
    return expected_hits(labels, scores, n_top) / n_top if n_top else float("nan")


def capacity_rows(dates: Sequence, daily_capacity: int) -> int:
    """The team's budget over a window: daily capacity x the days on which inspections happened."""
    days = pd.to_datetime(pd.Series(dates)).dt.normalize().nunique()
    return daily_capacity * days


def precision_at_capacity(
    labels: Sequence, scores: Sequence, dates: Sequence, daily_capacity: int
) -> float:
    """Precision of the top `daily_capacity x inspection days` rows of the window."""
    return precision_at_n(labels, scores, capacity_rows(dates, daily_capacity))


def roc_auc(labels: Sequence, scores: Sequence) -> float:
    y, s = _arrays(labels, scores)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, s))


def brier(labels: Sequence, probabilities: Sequence) -> float:
    y, p = _arrays(labels, probabilities)
    if len(y) == 0:
        return float("nan")
    return float(brier_score_loss(y, np.clip(p, 0.0, 1.0)))


def simulated_dates(dates: Sequence, scores: Sequence) -> np.ndarray:
    """Chicago's re-ordering: keep each day's number of inspections, visit in score order.

    Returns, for each row, the (expected) day number it would have been inspected on, as float days
    since the epoch. Rows tied on score share the mean of the slots their block occupies.
    """
    d = pd.to_datetime(pd.Series(dates)).dt.normalize()
    days = (d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    s = np.asarray(scores, dtype=float)
    if len(days) != len(s):
        raise ValueError("dates and scores differ in length")
    slot_days = np.sort(days)  # slot i happens on the i-th earliest actual inspection day
    order = np.argsort(-s, kind="stable")
    out = np.empty(len(s))
    if not len(s):
        return out
    # blocks of equal scores in score order: each row gets the mean slot day of its block
    sorted_scores = s[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    block = np.cumsum(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]]) - 1
    sums = np.add.reduceat(slot_days, starts)
    sizes = np.diff(np.r_[starts, len(s)])
    out[order] = (sums / sizes)[block]
    return out


def days_earlier(dates: Sequence, labels: Sequence, scores: Sequence) -> float:
    """Average days sooner the positives (failed inspections) are reached in score order.

    Positive means earlier than they actually were; the City's 2014 pilot reported 7.44 days.
    NaN when the window has no positives.
    """
    y = np.asarray(labels, dtype=float)
    if y.sum() == 0:
        return float("nan")
    d = pd.to_datetime(pd.Series(dates)).dt.normalize()
    actual = (d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    simulated = simulated_dates(dates, scores)
    return float((actual - simulated)[y == 1].mean())


def rank_order(scores: Sequence, tiebreak: Sequence | None = None) -> np.ndarray:
    """1-based ranks, highest score first; ties broken by ascending `tiebreak` (else input order)."""
    s = np.asarray(scores, dtype=float)
    key = np.arange(len(s)) if tiebreak is None else np.asarray(tiebreak)
    order = np.lexsort((key, -s))
    ranks = np.empty(len(s), dtype=np.int64)
    ranks[order] = np.arange(1, len(s) + 1)
    return ranks


def evaluate(
    labels: Sequence,
    scores: Sequence,
    dates: Sequence,
    *,
    top_k_percent: Sequence[float],
    daily_capacity: int,
    probabilities: bool = True,
) -> dict[tuple[str, str], float]:
    """All metrics of one ranked test window, keyed (metric, parameter) as in ml.evaluations."""
    out: dict[tuple[str, str], float] = {}
    for k in top_k_percent:
        tag = f"{k:g}_pct"
        out[("precision@", tag)] = precision_at_k(labels, scores, k)
        out[("recall@", tag)] = recall_at_k(labels, scores, k)
    out[("precision@capacity", f"{daily_capacity}_per_day")] = precision_at_capacity(
        labels, scores, dates, daily_capacity
    )
    # the budget in rows: at or above the window's rows, precision@capacity is the base rate
    out[("capacity_rows", f"{daily_capacity}_per_day")] = float(
        capacity_rows(dates, daily_capacity)
    )
    out[("roc_auc", "")] = roc_auc(labels, scores)
    if probabilities:
        out[("brier", "")] = brier(labels, scores)
    out[("days_earlier", "")] = days_earlier(dates, labels, scores)
    out[("prevalence", "")] = (
        float(np.mean(np.asarray(labels, dtype=float))) if len(labels) else float("nan")
    )
    out[("test_rows", "")] = float(len(labels))
    return out
