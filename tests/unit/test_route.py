"""The day's route (dashboards/ranking/data.py, plan_route): a greedy walk over the top of the list."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboards.ranking.data import EARTH_RADIUS_KM, plan_route

ONE_DEGREE_KM = 2 * math.pi * EARTH_RADIUS_KM / 360  # a degree of latitude on the sphere


def _view(points: list[tuple[str, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": range(1, len(points) + 1),
            "name": [name for name, _, _ in points],
            "latitude": [lat for _, lat, _ in points],
            "longitude": [lon for _, _, lon in points],
        }
    )


def test_the_walk_starts_at_the_top_and_goes_to_the_nearest_next() -> None:
    view = _view([("first", 0.0, 0.0), ("far", 2.0, 0.0), ("near", 1.0, 0.0), ("next", 3.0, 0.0)])
    route = plan_route(view, stops=4)
    assert route["name"].tolist() == ["first", "near", "far", "next"]
    assert route["stop"].tolist() == [1, 2, 3, 4]
    assert math.isnan(route["leg_km"][0])
    assert route["leg_km"][1:].tolist() == pytest.approx([ONE_DEGREE_KM] * 3)


def test_only_the_first_stops_of_the_list_and_the_unlocated_last() -> None:
    view = _view(
        [("nowhere", None, None), ("top", 0.0, 0.0), ("second", 0.5, 0.0), ("cut", 0.1, 0.0)]
    )
    route = plan_route(view, stops=3)
    # "cut" is nearest to "top" but ranks fourth: a three-stop day does not reach it
    assert route["name"].tolist() == ["top", "second", "nowhere"]
    assert math.isnan(route["leg_km"][2])


def test_a_list_without_coordinates_keeps_its_rank_order() -> None:
    route = plan_route(_view([("a", None, None), ("b", None, 1.0)]), stops=10)
    assert route["name"].tolist() == ["a", "b"]
    assert route["leg_km"].isna().all()
    assert plan_route(_view([]), stops=5).empty
