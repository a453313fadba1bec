"""Calibrated probabilities for the deployed model, and the performance they let us expect before
any label arrives (what NannyML calls confidence-based performance estimation, CBPE).

A model's scores rank well but are not probabilities one can average: a random forest's 0.4 may
fail half the time. `fit()` learns the map from score to probability on out-of-time rows: the
deployed group's newest cross-validation window, whose model was trained only on what came before
(`ml.deploy` picks those rows). The map is monotone, so calibrating never changes a ranking.

- `isotonic` (`sklearn.isotonic.IsotonicRegression`, clipped at the ends) or `sigmoid` (Platt:
  a one-feature `sklearn.linear_model.LogisticRegression` on the score), both kept as a curve of
  (score, probability) points and applied by linear interpolation, flat beyond the ends;
- the calibration error is measured out of sample: five folds of the calibration rows, each
  calibrated by a map fitted on the other four. The expected calibration error (ECE) is the
  row-weighted mean |fail rate - mean probability| over `bins` equal-width probability bins; the
  Brier score beside it.

With calibrated probabilities p, the expected precision of any set of ranked establishments is the
mean of their p: the number expected to fail over the number in the set. `expected_precision()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

METHODS = ("isotonic", "sigmoid")
SIGMOID_POINTS = 101  # the sigmoid map is kept at this many score quantiles
FOLDS = 5


@dataclass(frozen=True)
class Calibration:
    method: str
    scores: tuple[float, ...]  # the curve, increasing in score
    probabilities: tuple[float, ...]
    rows: int  # calibration rows it was fitted on
    positive_rate: float  # their fail rate
    ece_before: float  # the raw scores' ECE on those rows
    ece_after: float  # out of sample: each fold calibrated by the other folds' map
    brier_before: float
    brier_after: float

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of `scores` (linear between curve points, flat beyond)."""
        return np.interp(np.asarray(scores, float), self.scores, self.probabilities)


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = 10
) -> float:
    """Row-weighted mean |fail rate - mean probability| over `bins` equal-width bins of [0, 1]."""
    p, y = np.asarray(probabilities, float), np.asarray(labels, float)
    if len(p) == 0:
        return float("nan")
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(y[inside].mean() - p[inside].mean())
    return float(total / len(p))


def brier(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p, y = np.asarray(probabilities, float), np.asarray(labels, float)
    return float(np.mean((p - y) ** 2)) if len(p) else float("nan")


def _curve(scores: np.ndarray, labels: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, labels)
        return iso.X_thresholds_, iso.y_thresholds_
    if method == "sigmoid":
        platt = LogisticRegression(C=1e6).fit(scores.reshape(-1, 1), labels)
        grid = np.unique(np.quantile(scores, np.linspace(0, 1, SIGMOID_POINTS)))
        return grid, platt.predict_proba(grid.reshape(-1, 1))[:, 1]
    raise ValueError(f"unknown calibration method {method!r}: expected one of {', '.join(METHODS)}")


def fit(
    scores: np.ndarray, labels: np.ndarray, method: str = "isotonic", bins: int = 10, seed: int = 0
) -> Calibration:
    """The score-to-probability map of `method`, fitted on (scores, labels), with its error."""
    s, y = np.asarray(scores, float), np.asarray(labels, int)
    if len(s) < 2 * FOLDS or len(np.unique(y)) < 2:
        raise ValueError(
            f"calibration needs at least {2 * FOLDS} rows of both outcomes, got {len(s)} rows "
            f"with {len(np.unique(y))} outcome(s)"
        )
    x, p = _curve(s, y, method)
    held_out = np.empty(len(s))
    for train, test in KFold(FOLDS, shuffle=True, random_state=seed).split(s):
        if len(np.unique(y[train])) < 2:
            held_out[test] = y[train].mean()
            continue
        fx, fp = _curve(s[train], y[train], method)
        held_out[test] = np.interp(s[test], fx, fp)
    return Calibration(
        method=method,
        scores=tuple(float(v) for v in x),
        probabilities=tuple(float(v) for v in p),
        rows=len(s),
        positive_rate=float(y.mean()),
        ece_before=expected_calibration_error(s, y, bins),
        ece_after=expected_calibration_error(held_out, y, bins),
        brier_before=brier(s, y),
        brier_after=brier(held_out, y),
    )


def expected_precision(probabilities: np.ndarray) -> float | None:
    """Precision expected of a set of establishments: the mean of their calibrated probabilities."""
    p = np.asarray(probabilities, float)
    p = p[~np.isnan(p)]
    return float(p.mean()) if len(p) else None
