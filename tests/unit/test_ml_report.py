"""The model report's pieces a person reads (ml/report.py): the leaderboard with each column's best
marked, and the team's capacity as a share of the test windows."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ml.report import capacity_share, leaderboard_html


def _board() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": ["model", "model", "baseline"],
            "name": ["Forest", "Logistic", "random"],
            "model_group_id": ["g1", "g2", None],
            "windows": [12, 12, 12],
            "precision@10_pct": [0.62, 0.60, 0.20],
            "precision@capacity3_per_day": [0.40, 0.41, 0.23],
            "brier": [0.16, 0.15, float("nan")],
            "prevalence": [0.24, 0.24, 0.24],
            "selected_by": ["best_average", "", ""],
        }
    )


def test_each_column_marks_its_best_and_brier_its_lowest() -> None:
    page = leaderboard_html(_board())
    rows = page.split("<tr")[2:]  # after the header row
    starred = [re.findall(r"★&nbsp;([0-9.]+)", r) for r in rows]
    assert starred == [["0.620"], ["0.410", "0.150"], []]
    assert "precision@capacity (3 a day)" in page and "precision@10%" in page
    assert "prevalence" not in page  # the same for everyone: the intro states the base rate
    assert "<i>random (baseline)</i>" in rows[2] and "class='baseline'" in rows[2]


def test_the_capacity_is_a_share_of_each_window_capped_at_all_of_it() -> None:
    frame = pd.DataFrame(
        {
            "kind": ["baseline"] * 4 + ["model"],
            "name": ["random"] * 4 + ["Forest"],
            "test_start": ["2019-01-01", "2019-01-01", "2019-02-01", "2019-02-01", "2019-01-01"],
            "metric": [
                "test_rows",
                "capacity_rows3_per_day",
                "test_rows",
                "capacity_rows3_per_day",
                "test_rows",
            ],
            "value": [100.0, 40.0, 50.0, 90.0, 100.0],
        }
    )
    assert capacity_share(frame) == pytest.approx((0.4 + 1.0) / 2)
    assert capacity_share(frame[frame["metric"] == "test_rows"]) is None  # not recorded
