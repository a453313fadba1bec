"""Drift and realised performance of the deployed model: frames in, result rows out.

Drift compares a feature's values now (the scoring cohort) with a reference (the training frame,
or the previous scoring run's cohort):

- numeric features: PSI over the reference's deciles (`psi_bins` quantile bins of the reference,
  open at both ends, so every value of either side falls in a bin; repeated quantiles merge; each
  edge moved to the midpoint between the reference's distinct values around it, so no reference
  value sits on an edge: a group rate of 0.231 that becomes 0.230 next week stays in its bin) and
  the two-sample Kolmogorov–Smirnov statistic (`scipy.stats.ks_2samp`);
- numeric features whose value is shared by every establishment of a group (the area rates: one
  fail rate per zip or facility group): the Wasserstein distance over the reference's standard
  deviation (`scipy.stats.wasserstein_distance`, Evidently's default for numeric columns) instead
  of PSI and KS. Their values are a few heavy atoms that move a little every week; PSI and KS
  would measure an atom crossing a bin edge or a CDF step, not how far the values moved (on the
  real rows, weekly PSI of the facility-group rate reached 1.5 while the values moved 0.04 sd);
- text features: PSI over the categories of both sides, and the Jensen–Shannon distance
  (`scipy.spatial.distance.jensenshannon`, base 2, so it lies in [0, 1]);
- every feature: the share of missing values, and its change.

PSI is sum((a - e) * ln(a / e)) over bins, with empty bins given a share of 1e-4 so the log stays
finite. The thresholds (warn, alert) come from the experiment YAML's `monitoring:` block.

Realised performance joins a scoring run's ranking to the inspections that happened after its
`as_of_date`: of the establishments ranked in the top k% that have been inspected since, the share
that failed, beside how many are inspected yet (labels arrive late and partially).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

from ml.calibration import expected_precision

EMPTY_SHARE = 1e-4  # the share given to an empty bin, so PSI's log stays finite


@dataclass(frozen=True)
class Thresholds:
    """A statistic's warn and alert levels (a value at or above the level trips it)."""

    warn: float
    alert: float

    def status(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "unknown"
        if value >= self.alert:
            return "alert"
        if value >= self.warn:
            return "warn"
        return "ok"


@dataclass(frozen=True)
class DriftThresholds:
    """The experiment YAML's `monitoring:` block: drift levels, and the expected-performance ones."""

    psi: Thresholds = Thresholds(0.1, 0.25)  # the usual reading: < 0.1 stable, > 0.25 shifted
    ks: Thresholds = Thresholds(0.1, 0.2)  # KS statistic (max CDF gap), not its p-value
    js: Thresholds = Thresholds(0.1, 0.2)  # Jensen–Shannon distance, base 2
    missing: Thresholds = Thresholds(0.05, 0.1)  # absolute change in the share missing
    wasserstein: Thresholds = Thresholds(0.1, 0.2)  # over the reference's sd (shared values)
    score_psi: Thresholds = Thresholds(0.1, 0.25)  # PSI of the score distribution
    psi_bins: int = 10
    # expected performance before labels (ml.calibration): how the deployed model is calibrated,
    # and how far realised precision may stray from the calibrated estimate, once enough of a
    # cut is inspected for the comparison to mean something
    calibration: str = "isotonic"
    estimate_gap: Thresholds = Thresholds(0.1, 0.2)  # |realised - expected| precision at a cut
    estimate_min_inspected: int = 20


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    shares = counts / total if total else np.zeros_like(counts, dtype=float)
    return np.where(shares == 0, EMPTY_SHARE, shares)


def psi_from_shares(expected: np.ndarray, actual: np.ndarray) -> float:
    e, a = _shares(np.asarray(expected, float)), _shares(np.asarray(actual, float))
    return float(np.sum((a - e) * np.log(a / e)))


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (repeated edges merged), each moved to the
    midpoint between the distinct reference values either side of it."""
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    distinct = np.unique(reference)
    above = np.searchsorted(distinct, inner, side="left")  # first distinct value >= the edge
    keep = above > 0  # an edge at the minimum separates nothing
    above = above[keep]
    return np.unique((distinct[above - 1] + distinct[np.minimum(above, len(distinct) - 1)]) / 2)


def wasserstein_normed(reference: pd.Series, current: pd.Series) -> float:
    """Wasserstein distance between the two samples over the reference's standard deviation (the
    distance itself when the reference is constant)."""
    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(float)
    cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(float)
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    spread = float(np.std(ref))
    distance_ = float(stats.wasserstein_distance(ref, cur))
    return distance_ / spread if spread > 0 else distance_


def psi_numeric(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    """PSI of a numeric feature over `bins` quantile bins of the reference (missing values left out)."""
    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(float)
    cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(float)
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    edges = quantile_edges(ref, bins)
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    return psi_from_shares(ref_counts, cur_counts)


def _category_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ref = reference.dropna().astype(str).value_counts()
    cur = current.dropna().astype(str).value_counts()
    categories = sorted(set(ref.index) | set(cur.index))
    return (
        ref.reindex(categories, fill_value=0).to_numpy(float),
        cur.reindex(categories, fill_value=0).to_numpy(float),
    )


def psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    ref, cur = _category_counts(reference, current)
    if ref.sum() == 0 or cur.sum() == 0:
        return float("nan")
    return psi_from_shares(ref, cur)


def js_distance(reference: pd.Series, current: pd.Series) -> float:
    """Jensen–Shannon distance (base 2, in [0, 1]) between the two category distributions."""
    ref, cur = _category_counts(reference, current)
    if ref.sum() == 0 or cur.sum() == 0:
        return float("nan")
    return float(distance.jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2))


def ks_statistic(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    """The two-sample KS statistic and its p-value (missing values left out)."""
    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(float)
    cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(float)
    if len(ref) == 0 or len(cur) == 0:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        # scipy falls back from the exact p-value to the asymptotic one on larger samples and
        # says so each time; the statistic, which grades drift, is the same either way
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
        result = stats.ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def missing_share(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else float("nan")


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    thresholds: DriftThresholds,
    comparison: str,
    shared: list[str] | None = None,
) -> pd.DataFrame:
    """One row per (feature, statistic): value, warn and alert levels, status. `shared`: numeric
    features (of `numeric`) whose values are shared by groups, compared by the normed Wasserstein
    distance instead of PSI and KS."""
    rows: list[dict[str, object]] = []

    def add(
        feature: str, statistic: str, value: float, levels: Thresholds, detail: str = ""
    ) -> None:
        rows.append(
            {
                "comparison": comparison,
                "feature": feature,
                "statistic": statistic,
                "value": None if math.isnan(value) else round(value, 6),
                "warn_at": levels.warn,
                "alert_at": levels.alert,
                "status": levels.status(value),
                "detail": detail,
            }
        )

    # A distribution needs values on both sides; a feature empty on one (a source this
    # warehouse does not load, or one that stopped) is watched by its missing share alone.
    valued = {
        f
        for f in [*numeric, *categorical]
        if reference[f].notna().any() and current[f].notna().any()
    }
    shared = [f for f in shared or [] if f in valued]
    numeric_valued = [f for f in numeric if f in valued]
    for feature in [f for f in numeric_valued if f in shared]:
        ref, cur = reference[feature], current[feature]
        moved = float(pd.to_numeric(cur, errors="coerce").mean()) - float(
            pd.to_numeric(ref, errors="coerce").mean()
        )
        add(
            feature,
            "wasserstein",
            wasserstein_normed(ref, cur),
            thresholds.wasserstein,
            f"mean moved {moved:+.4f}",
        )
    for feature in [f for f in numeric_valued if f not in shared]:
        ref, cur = reference[feature], current[feature]
        add(feature, "psi", psi_numeric(ref, cur, thresholds.psi_bins), thresholds.psi)
        ks, pvalue = ks_statistic(ref, cur)
        add(feature, "ks", ks, thresholds.ks, "" if math.isnan(pvalue) else f"p={pvalue:.3g}")
    for feature in [f for f in categorical if f in valued]:
        ref, cur = reference[feature], current[feature]
        add(feature, "psi", psi_categorical(ref, cur), thresholds.psi)
        add(feature, "js_distance", js_distance(ref, cur), thresholds.js)
    for feature in [*numeric, *categorical]:
        before, now = missing_share(reference[feature]), missing_share(current[feature])
        add(
            feature,
            "missing_change",
            abs(now - before),
            thresholds.missing,
            f"missing {before:.1%} -> {now:.1%}",
        )
    return pd.DataFrame(rows)


def score_drift(
    reference: pd.Series, current: pd.Series, thresholds: DriftThresholds, comparison: str
) -> dict[str, object]:
    """PSI of the score distribution (deciles of the reference scores)."""
    value = psi_numeric(reference, current, thresholds.psi_bins)
    return {
        "comparison": comparison,
        "feature": "score",
        "statistic": "psi",
        "value": None if math.isnan(value) else round(value, 6),
        "warn_at": thresholds.score_psi.warn,
        "alert_at": thresholds.score_psi.alert,
        "status": thresholds.score_psi.status(value),
        "detail": f"mean {float(reference.mean()):.3f} -> {float(current.mean()):.3f}",
    }


def _join_outcomes(ranking: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The ranking with each establishment's first outcome since (NaN where not inspected yet)."""
    first = outcomes.drop_duplicates("establishment_id")[["establishment_id", "failed"]]
    first = first.assign(
        establishment_id=first["establishment_id"].astype(str),
        failed=pd.to_numeric(first["failed"], errors="coerce"),
    )
    ranked = ranking.assign(establishment_id=ranking["establishment_id"].astype(str))
    return ranked.merge(first, on="establishment_id", how="left")


def realised_performance(
    ranking: pd.DataFrame, outcomes: pd.DataFrame, top_k_percent: list[float], capacity: int
) -> pd.DataFrame:
    """Precision of a past ranking against what inspections found since.

    `ranking`: establishment_id, rank_abs (1 = first). `outcomes`: establishment_id, failed (the
    first inspection of each establishment after the run's as_of_date; 0/1). One row per cut: the
    top k% of the ranking and the top `capacity` establishments, with how many are ranked,
    inspected yet and failed, the realised precision among the inspected, and the base rate of
    all inspected establishments for comparison. When the ranking has calibrated probabilities
    (`probability`), each cut also carries the precision they let us expect (CBPE,
    `ml.calibration.expected_precision`): of the whole cut (known before any label) and of its
    inspected part, the fair comparison for the realised value."""
    joined = _join_outcomes(ranking, outcomes)
    n = len(joined)
    inspected_all = joined["failed"].notna()
    base_rate = float(joined.loc[inspected_all, "failed"].mean()) if inspected_all.any() else None
    cuts = [(f"{k:g}_pct", max(1, math.ceil(n * k / 100))) for k in top_k_percent]
    cuts.append(("capacity", min(capacity, n)))
    rows = []
    for name, size in cuts:
        top = joined.nsmallest(size, "rank_abs") if n else joined
        inspected = top["failed"].notna()
        failed = int(top.loc[inspected, "failed"].sum())
        probability = top["probability"] if "probability" in top else pd.Series(np.nan, top.index)
        rows.append(
            {
                "cut": name,
                "ranked": int(len(top)),
                "inspected": int(inspected.sum()),
                "failed": failed,
                "precision": round(failed / inspected.sum(), 6) if inspected.any() else None,
                "base_rate": None if base_rate is None else round(base_rate, 6),
                "expected_precision": _rounded(expected_precision(probability)),
                "expected_precision_inspected": _rounded(
                    expected_precision(probability[inspected])
                ),
            }
        )
    return pd.DataFrame(rows)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def estimate_status(
    realised: float | None,
    expected: float | None,
    inspected: int,
    levels: Thresholds,
    min_inspected: int,
) -> str:
    """The realised-versus-expected gap graded by `levels`; unknown until `min_inspected`."""
    if realised is None or expected is None or inspected < min_inspected:
        return "unknown"
    return levels.status(abs(realised - expected))


def fail_rate_by_decile(ranking: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Fail rate of the inspected establishments by rank decile (1 = the top tenth)."""
    joined = _join_outcomes(ranking, outcomes)
    if joined.empty:
        return pd.DataFrame(columns=["decile", "inspected", "fail_rate"])
    joined["decile"] = np.ceil(joined["rank_abs"].rank(method="first") * 10 / len(joined)).astype(
        int
    )
    grouped = joined.dropna(subset=["failed"]).groupby("decile")["failed"]
    return pd.DataFrame(
        {"inspected": grouped.size(), "fail_rate": grouped.mean().round(6)}
    ).reset_index()
