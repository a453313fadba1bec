"""Aequitas audit on constructed cases whose disparities are known by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.bias import audit, group_attribute, parity_share
from ml.config import BiasConfig


def _case() -> pd.DataFrame:
    """150 inspections; the top 10% (15 rows) holds 10 of group a's 20 fails and 5 of b's 20.

    a (reference, 100 rows): FNR 10/20 = 0.5, FOR 10/90, precision 1.
    b (50 rows):             FNR 15/20 = 0.75 (x1.5), FOR 15/45 (x3), precision 1 (x1).
    """
    rows = []
    for group, size, fails, chosen in (("a", 100, 20, 10), ("b", 50, 20, 5)):
        for i in range(size):
            rows.append(
                {
                    "facility_group": group,
                    "zip": "60601",
                    "label": int(i < fails),
                    "score": 0.9 if i < chosen else 0.1,
                }
            )
    frame = pd.DataFrame(rows)
    frame["inspection_id"] = range(1, len(frame) + 1)
    return frame


def _row(result: pd.DataFrame, group: str, metric: str) -> pd.Series:
    hit = result[(result["attribute_value"] == group) & (result["metric"] == metric)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_known_disparities() -> None:
    config = BiasConfig(attributes=("facility_group",), top_k_percent=10, min_group_size=1)
    result = audit(_case(), config)
    assert set(result["reference_group"]) == {"a"}  # the largest group
    fnr_b = _row(result, "b", "fnr")
    assert fnr_b["value"] == pytest.approx(0.75)
    assert fnr_b["disparity"] == pytest.approx(1.5)
    assert fnr_b["is_fair"] is not None and not fnr_b["is_fair"]
    assert (
        fnr_b["group_size"] == 50 and fnr_b["group_label_pos"] == 20 and fnr_b["predicted_pos"] == 5
    )
    for_b = _row(result, "b", "for")
    assert for_b["value"] == pytest.approx(15 / 45)
    assert for_b["disparity"] == pytest.approx((15 / 45) / (10 / 90))
    precision_b = _row(result, "b", "precision")
    assert precision_b["disparity"] == pytest.approx(1.0) and bool(precision_b["is_fair"])
    fnr_a = _row(result, "a", "fnr")
    assert fnr_a["value"] == pytest.approx(0.5) and fnr_a["disparity"] == pytest.approx(1.0)
    assert parity_share(result, "fnr") == 0.0  # the one non-reference group is outside [0.8, 1.25]
    assert parity_share(result, "precision") == 1.0


def test_configured_reference_group() -> None:
    config = BiasConfig(
        attributes=("facility_group",),
        reference_groups={"facility_group": "b"},
        top_k_percent=10,
        min_group_size=1,
    )
    result = audit(_case(), config)
    fnr_a = _row(result, "a", "fnr")
    assert fnr_a["reference_group"] == "b"
    assert fnr_a["disparity"] == pytest.approx(0.5 / 0.75)


def test_high_cardinality_groups_are_pooled() -> None:
    values = pd.Series(
        ["60601"] * 50 + ["60602"] * 30 + ["60603"] * 25 + ["60604"] * 5 + [None] * 22
    )
    grouped = group_attribute(values, max_groups=4, min_group_size=20)
    assert grouped.value_counts().to_dict() == {
        "60601": 50,
        "60602": 30,
        "60603": 25,
        "unknown": 22,  # nulls are a group of their own
        "other": 5,  # below min_group_size
    }
    top_two = group_attribute(values, max_groups=2, min_group_size=20)
    assert top_two.value_counts().to_dict() == {"60601": 50, "60602": 30, "other": 52}


def test_the_audit_breaks_ties_at_the_cut_by_inspection_id() -> None:
    frame = _case()
    frame["score"] = 0.5  # everything tied: the first 15 ids (all group a) are on the list
    result = audit(
        frame, BiasConfig(attributes=("facility_group",), top_k_percent=10, min_group_size=1)
    )
    assert _row(result, "a", "fnr")["predicted_pos"] == 15
    assert _row(result, "b", "fnr")["predicted_pos"] == 0


def test_a_list_cut_elsewhere_is_audited_as_given() -> None:
    """The monitor audits the inspected part of a past ranking whose list was cut on the whole
    ranking: with `flagged_column` the audit takes who was on the list as given."""
    config = BiasConfig(attributes=("facility_group",), top_k_percent=10, min_group_size=1)
    frame = _case().assign(on_list=lambda f: (f["score"] > 0.5).astype(int))
    assert audit(frame, config, flagged_column="on_list").equals(audit(frame, config))
    # a list the top k% of this frame would not give: all of group b's fails flagged
    frame.loc[(frame["facility_group"] == "b") & (frame["label"] == 1), "on_list"] = 1
    fnr_b = _row(audit(frame, config, flagged_column="on_list"), "b", "fnr")
    assert fnr_b["value"] == pytest.approx(0.0)
