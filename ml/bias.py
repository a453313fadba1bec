"""Bias audit of a model's test-window list with Aequitas 1.1.0.

The list is the top k% of the window (k from `bias_audit.top_k_percent`; ties at the cut-off broken
by ascending inspection id, so the audit is reproducible). Canvass is an *assistive* intervention —
being on the list brings an inspector, which helps the public and the establishment — so the harm
is being missed: we audit the false negative rate (FNR: failing establishments the list leaves
out) and the false omission rate (FOR: of those left out, how many fail), plus precision, per group
of each attribute, as a ratio to a reference group (the largest group unless configured). A ratio
within [0.8, 1.25] is "fair". High-cardinality attributes (zip) keep their `max_groups` largest
groups with at least `min_group_size` rows; the rest are pooled as "other", nulls as "unknown".
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from ml.config import BiasConfig
from ml.metrics import k_rows, rank_order

log = logging.getLogger(__name__)

OTHER = "other"
UNKNOWN = "unknown"
AUDIT_COLUMNS = [
    "threshold",
    "attribute_name",
    "attribute_value",
    "metric",
    "group_size",
    "group_label_pos",
    "predicted_pos",
    "value",
    "reference_group",
    "disparity",
    "is_fair",
]


def group_attribute(values: pd.Series, max_groups: int, min_group_size: int) -> pd.Series:
    """Pool a categorical column: nulls -> 'unknown', small or beyond-top-N groups -> 'other'."""
    text = values.astype(object).where(values.notna(), UNKNOWN).astype(str)
    counts = text.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")  # size, then name
    keep = set(counts[counts >= min_group_size].index[:max_groups])
    return text.where(text.isin(keep), OTHER).astype(object)


def threshold_name(top_k_percent: float) -> str:
    return f"top_{top_k_percent:g}_pct"


def audit(
    frame: pd.DataFrame,
    bias: BiasConfig,
    *,
    score_column: str = "score",
    label_column: str = "label",
    id_column: str = "inspection_id",
    flagged_column: str | None = None,
) -> pd.DataFrame:
    """Aequitas audit of one scored window; a long frame with AUDIT_COLUMNS, one row per group and metric.

    The list is the frame's top k%, unless `flagged_column` (0/1) says who was on it: the monitor
    audits the inspected part of a past ranking, whose list was cut on the whole ranking."""
    from aequitas import Audit  # imported here: aequitas is heavy and only the audit needs it

    if frame.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    if flagged_column is None:
        ranks = rank_order(frame[score_column].to_numpy(), frame[id_column].to_numpy())
        flagged = (ranks <= k_rows(len(frame), bias.top_k_percent)).astype(int)
    else:
        flagged = frame[flagged_column].astype(int).to_numpy()
    df = pd.DataFrame({"score": flagged, "label": frame[label_column].astype(int).to_numpy()})
    references: dict[str, str] = {}
    for attr in bias.attributes:
        grouped = group_attribute(
            frame[attr].reset_index(drop=True), bias.max_groups, bias.min_group_size
        )
        df[attr] = grouped
        wanted = bias.reference_groups.get(attr)
        sizes = grouped.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        if wanted is not None and wanted in sizes.index:
            references[attr] = wanted
        else:
            if wanted is not None:
                log.warning(
                    "reference group %s=%r absent from this window; using the largest", attr, wanted
                )
            references[attr] = str(sizes.index[0])
    attrs = list(bias.attributes)
    aq = Audit(
        df,
        score_column="score",
        label_column="label",
        sensitive_attribute_column=attrs,
        reference_groups=references,
    )
    aq.audit()
    disparity = aq.disparity_df
    rows = []
    for rec in disparity.to_dict("records"):
        for metric in bias.metrics:
            value = _clean(rec.get(metric))
            ratio = _clean(rec.get(f"{metric}_disparity"))
            fair = (
                None
                if ratio is None
                else bool(bias.threshold_lower <= ratio <= bias.threshold_upper)
            )
            rows.append(
                {
                    "threshold": threshold_name(bias.top_k_percent),
                    "attribute_name": rec["attribute_name"],
                    "attribute_value": str(rec["attribute_value"]),
                    "metric": metric,
                    "group_size": int(rec["group_size"]),
                    "group_label_pos": int(rec["group_label_pos"]),
                    "predicted_pos": int(rec["pp"]),
                    "value": value,
                    "reference_group": references[rec["attribute_name"]],
                    "disparity": ratio,
                    "is_fair": fair,
                }
            )
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def _clean(value: object) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def parity_share(audit_frame: pd.DataFrame, metric: str) -> float:
    """Share of audited non-reference groups within the thresholds for `metric` (NaN when none)."""
    rows = audit_frame[
        (audit_frame["metric"] == metric)
        & (audit_frame["attribute_value"] != audit_frame["reference_group"])
        & audit_frame["is_fair"].notna()
    ]
    if rows.empty:
        return float("nan")
    return float(np.mean(rows["is_fair"].astype(bool)))
