"""The dashboard's pure helpers: filtering the ranking and weighing features."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboards.ranking.data import (
    ALL,
    Filters,
    choices,
    explain,
    filter_ranking,
    format_feature,
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


def test_explain_keeps_the_marts_order_and_formats_values_by_unit() -> None:
    rows = [
        ("fail_rate_1y", "Its fail rate, last year", "rate", "0.5", 0.6),
        ("prior_fails", "Failed inspections before", "count", "3", 0.3),
        ("last_result", "Last result", "category", "pass_with_conditions", 0.1),
        ("days_since_last_fail", "Days since the last failure", "days", None, 0.0),
    ]
    explanation = explain(
        "a",
        [
            {
                "feature": f,
                "feature_label": label,
                "feature_unit": unit,
                "feature_value": value,
                "model_weight": weight,
                "features_as_of_date": date(2024, 3, 1),
            }
            for f, label, unit, value, weight in rows
        ],
    )
    assert explanation.as_of_date == date(2024, 3, 1)
    assert explanation.features == [
        ("Its fail rate, last year", "50%", pytest.approx(0.6)),
        ("Failed inspections before", "3", pytest.approx(0.3)),
        ("Last result", "pass with conditions", pytest.approx(0.1)),
        ("Days since the last failure", "—", 0.0),
    ]
    assert explain("b", []).features == []


def test_format_feature() -> None:
    assert format_feature("days", "12") == "12"
    assert format_feature("rate", "0.125") == "12%"
    assert format_feature("rate", "1") == "100%"
    assert format_feature("count", "2.5") == "2.50"
    assert format_feature("category", None) == "—"
    assert format_feature("days", float("nan")) == "—"
    assert format_feature("category", "not_ready") == "not ready"
