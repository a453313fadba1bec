"""The map's offline basemap (dashboards/ranking/data.py, zip_areas): each zip's area is where its
centre is the nearest, inside the establishments' outline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboards.ranking.data import zip_areas

CENTRES = {"60601": (41.88, -87.63), "60614": (41.92, -87.65), "60622": (41.90, -87.68),
           "60608": (41.85, -87.67)}  # fmt: skip


def _frame(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {"zip": z, "latitude": lat + rng.normal(0, 0.004), "longitude": lon + rng.normal(0, 0.006)}
        for z, (lat, lon) in CENTRES.items()
        for _ in range(12)
    ]
    return pd.DataFrame(rows)


def _inside(x: float, y: float, xs: list[float], ys: list[float]) -> bool:
    crossings = 0
    for i in range(len(xs)):
        x1, y1, x2, y2 = xs[i], ys[i], xs[i - 1], ys[i - 1]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings += 1
    return crossings % 2 == 1


def test_every_establishment_lies_in_the_area_of_the_nearest_centre() -> None:
    frame = _frame()
    areas = zip_areas(frame).set_index("zip")
    assert sorted(areas.index) == sorted(CENTRES)
    squash = math.cos(math.radians(frame["latitude"].mean()))
    for row in frame.itertuples():
        nearest = min(
            areas.index,
            key=lambda z: math.hypot(
                (row.longitude - areas.loc[z, "x"]) * squash, row.latitude - areas.loc[z, "y"]
            ),
        )
        assert _inside(
            row.longitude, row.latitude, areas.loc[nearest, "xs"], areas.loc[nearest, "ys"]
        )
        others = [z for z in areas.index if z != nearest]
        assert not any(
            _inside(row.longitude, row.latitude, areas.loc[z, "xs"], areas.loc[z, "ys"])
            for z in others
        )


def test_the_areas_stay_near_the_establishments() -> None:
    frame = _frame(2)
    areas = zip_areas(frame)
    every_x = [x for xs in areas["xs"] for x in xs]
    every_y = [y for ys in areas["ys"] for y in ys]
    assert min(every_y) > frame["latitude"].min() - 0.02
    assert max(every_x) < frame["longitude"].max() + 0.03


def test_too_few_zips_or_no_coordinates_draw_nothing() -> None:
    two = _frame()[lambda f: f["zip"].isin(["60601", "60614"])]
    assert zip_areas(two).empty
    unlocated = _frame().assign(latitude=float("nan"))
    assert zip_areas(unlocated).empty
    in_a_line = pd.DataFrame(
        {"zip": ["a", "b", "c"], "latitude": [41.0, 41.1, 41.2], "longitude": [-87.0] * 3}
    )
    assert zip_areas(in_a_line).empty
