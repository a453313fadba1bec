"""The dashboard's pure helpers: filtering the ranking and weighing features."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards.ranking.data import (
    ALL,
    Filters,
    choices,
    explain,
    filter_ranking,
    format_feature,
    importance_by_feature,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [3, 1, 2, 4],
            "establishment_id": ["c", "a", "b", "d"],
            "facility_group": ["school", "restaurant", "restaurant", None],
            "zip": ["60614", "60601", "60614", "60601"],
            "risk_level": [1, 1, 2, None],
        }
    )


def test_filter_ranking_keeps_rank_order_and_cuts_after_filtering(frame: pd.DataFrame) -> None:
    assert list(filter_ranking(frame, Filters())["establishment_id"]) == ["a", "b", "c", "d"]
    restaurants = filter_ranking(frame, Filters(facility_group="restaurant"))
    assert list(restaurants["establishment_id"]) == ["a", "b"]
    zip_top1 = filter_ranking(frame, Filters(zip="60614", top_n=1))
    assert list(zip_top1["establishment_id"]) == ["b"]
    risk1 = filter_ranking(frame, Filters(facility_group=ALL, risk_level=1))
    assert list(risk1["establishment_id"]) == ["a", "c"]


def test_choices_lists_all_then_the_sorted_values(frame: pd.DataFrame) -> None:
    assert choices(frame, "facility_group") == [ALL, "restaurant", "school"]


def test_one_hot_importances_count_toward_their_feature() -> None:
    weights = importance_by_feature(
        [
            ("zip_60601", 0.1),
            ("zip_60614", 0.2),
            ("zip_fail_rate_365d", 0.3),
            ("facility_group=school", 0.05),
            ("prior_fails", 0.25),
            ("unknown_feature", 0.5),
        ]
    )
    assert weights == pytest.approx(
        {"zip": 0.3, "zip_fail_rate_365d": 0.3, "facility_group": 0.05, "prior_fails": 0.25}
    )


def test_explain_orders_by_weight_and_formats_values() -> None:
    row = {
        "establishment_id": "a",
        "as_of_date": None,
        "prior_fails": 3,
        "fail_rate_1y": 0.5,
        "days_since_last_fail": None,
    }
    explanation = explain(row, [("fail_rate_1y", 0.8), ("prior_fails", 0.2)])
    assert explanation.features[0] == ("Its fail rate, last year", "50%", pytest.approx(0.8))
    assert explanation.features[1][1] == "3"
    assert explanation.features[2] == ("Days since the last failure", "—", 0.0)
    unweighted = explain(row, [])
    assert [label for label, _, _ in unweighted.features][0] == "Failed inspections before"
    assert unweighted.features[0][2] is None


def test_format_feature() -> None:
    assert format_feature("days_since_last_inspection", 12.0) == "12"
    assert format_feature("fail_rate_3y", 0.125) == "12%"
    assert format_feature("last_result", None) == "—"
    assert format_feature("last_result", float("nan")) == "—"
