"""The demo generator: export format, determinism, dirt, the signal a model needs, and calibration.

The calibration test compares the generator's marginals with the real rows in `../shared/data`
(skipped when they are absent) and fails when one drifts past the thresholds below; the measured
distances are recorded in docs/demo-data.md.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.sources.demo import (
    demo_rows,
    generate_inspections,
    violation_catalogue,
    write_export_csv,
)
from warehouse.datasets import CANONICAL_COLUMNS, EXPORT_HEADERS

# Largest total variation distance allowed per marginal, and the tolerance on the mean number of
# violation items per inspection that carries violation text.
MAX_TV_RESULTS = 0.08
MAX_TV_INSPECTION_TYPES = 0.09
MAX_TV_FACILITY_TYPES = 0.07
MAX_VIOLATIONS_GAP = 0.6

ITEM = re.compile(r"^(\d+)\. (.+?) - Comments: (.+)$")
RESULTS = {"Pass", "Fail", "Pass w/ Conditions", "Out of Business", "No Entry", "Not Ready"}
RESULTS |= {"Business Not Located"}
GRADED = ["Pass", "Fail", "Pass w/ Conditions"]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The default configuration: 2,000 establishments, 2015-2019, seed 42."""
    return generate_inspections(2000)  # the size the calibration figures below hold for


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["Inspection Date"], format="%m/%d/%Y")


# --------------------------------------------------------------------------- format


def test_same_seed_gives_the_same_frame_and_another_seed_does_not() -> None:
    first = generate_inspections(150, seed=5)
    pd.testing.assert_frame_equal(first, generate_inspections(150, seed=5))
    other = generate_inspections(150, seed=6)
    assert len(other) != len(first) or not other.equals(first)
    assert set(first["DBA Name"]) != set(other["DBA Name"])


def test_headers_are_the_export_headers_and_every_value_is_a_string(sample: pd.DataFrame) -> None:
    assert list(sample.columns) == list(EXPORT_HEADERS)
    assert 15_000 <= len(sample) <= 25_000
    for column in sample.columns:
        assert sample[column].map(type).eq(str).all(), column


def test_dates_are_mm_dd_yyyy_weekdays_in_the_window_and_sorted(sample: pd.DataFrame) -> None:
    assert sample["Inspection Date"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    dates = _dates(sample)
    assert dates.is_monotonic_increasing
    assert dates.min() >= pd.Timestamp("2015-01-01")
    assert dates.max() <= pd.Timestamp("2019-12-31")
    assert dates.dt.weekday.lt(5).all()
    assert dates.dt.year.nunique() == 5


def test_values_follow_the_export_formats(sample: pd.DataFrame) -> None:
    assert set(sample["Results"]) <= RESULTS
    assert set(sample["Risk"]) <= {"Risk 1 (High)", "Risk 2 (Medium)", "Risk 3 (Low)", "All", ""}
    assert sample["Risk"].value_counts(normalize=True)["Risk 1 (High)"] > 0.6
    assert sample["Inspection ID"].str.fullmatch(r"\d+").all()
    assert sample["Zip"].str.fullmatch(r"(606\d\d|60707|)").all()
    located = sample[sample["Latitude"] != ""]
    lat = located["Latitude"].astype(float)
    lon = located["Longitude"].astype(float)
    assert lat.between(41.6, 42.1).all() and lon.between(-88.0, -87.5).all()
    expected = "(" + located["Latitude"] + ", " + located["Longitude"] + ")"
    assert (located["Location"] == expected).all()
    assert (sample.loc[sample["Latitude"] == "", "Location"] == "").all()
    licensed = sample["License #"][sample["License #"] != ""]
    assert licensed.str.fullmatch(r"\d+").all()


def test_violation_text_parses_back_into_numbered_items(sample: pd.DataFrame) -> None:
    with_text = sample[sample["Violations"] != ""]
    assert len(with_text) > 0.6 * len(sample)
    new_numbering = _dates(with_text) >= pd.Timestamp("2018-07-01")
    seen_new_only = False
    for text, is_new in zip(with_text["Violations"], new_numbering, strict=True):
        titles = violation_catalogue().titles(is_new)
        codes = []
        for item in text.split(" | "):
            match = ITEM.match(item)
            assert match, item
            code = int(match.group(1))
            assert titles[code] == match.group(2)
            codes.append(code)
            seen_new_only |= code > 45
        assert codes == sorted(set(codes))
    assert seen_new_only, "no item used the post-2018 numbering"


def test_failed_inspections_name_a_grave_violation(sample: pd.DataFrame) -> None:
    old = sample[(_dates(sample) < pd.Timestamp("2018-07-01")) & (sample["Violations"] != "")]

    def grave(text: str) -> bool:
        return any(int(item.split(".", 1)[0]) <= 29 for item in text.split(" | "))

    by_result = old.groupby("Results")["Violations"].apply(lambda s: s.map(grave).mean())
    assert by_result["Fail"] > 0.7
    assert by_result["Pass"] < 0.2


def test_the_dirt_of_a_real_export_is_present(sample: pd.DataFrame) -> None:
    assert sample.duplicated().sum() > 10
    content = [c for c in sample.columns if c != "Inspection ID"]
    republished = sample.drop_duplicates().duplicated(subset=content).sum()
    assert republished > 10
    missing_xy = (sample["Latitude"] == "").mean()
    assert 0.05 < missing_xy < 0.16
    assert (sample["License #"] == "").mean() > 0.01
    assert (sample["License #"] == "0").any()
    restaurant = sample["Facility Type"][
        sample["Facility Type"].str.strip().str.lower() == "restaurant"
    ]
    assert restaurant.nunique() >= 3
    assert sample["Address"].str.endswith(" ").mean() > 0.5
    assert (sample["City"] != "CHICAGO").any()


def test_fail_rate_is_higher_after_prior_fails(sample: pd.DataFrame) -> None:
    """The signal a model needs: an establishment's own history predicts its next result."""
    rows = sample.drop_duplicates().assign(date=_dates(sample.drop_duplicates()))
    rows = rows[~rows["License #"].isin(["", "0"]) & rows["Results"].isin(GRADED)]
    rows = rows.sort_values(["License #", "date"])
    rows["failed"] = (rows["Results"] == "Fail").astype(int)
    history = rows.groupby("License #")["failed"]
    rows["prior_fails"] = history.cumsum() - rows["failed"]
    rows["prior_inspections"] = history.cumcount()
    canvass = rows[(rows["Inspection Type"] == "Canvass") & (rows["prior_inspections"] > 0)]
    with_fail = canvass.loc[canvass["prior_fails"] > 0, "failed"].mean()
    without = canvass.loc[canvass["prior_fails"] == 0, "failed"].mean()
    assert with_fail > 1.5 * without

    score = (canvass["prior_fails"] + 0.2) / (canvass["prior_inspections"] + 1)
    ranks = score.rank().to_numpy()
    positive = canvass["failed"].to_numpy().astype(bool)
    auc = (ranks[positive].sum() - positive.sum() * (positive.sum() + 1) / 2) / (
        positive.sum() * (~positive).sum()
    )
    assert auc > 0.62


def test_a_custom_window_stays_inside_it_and_switches_numbering() -> None:
    frame = generate_inspections(300, start=date(2018, 1, 1), end=date(2018, 12, 31), seed=3)
    dates = _dates(frame)
    assert dates.min() >= pd.Timestamp("2018-01-01") and dates.max() <= pd.Timestamp("2018-12-31")
    codes = (
        frame["Violations"]
        .str.findall(r"(?:^| \| )(\d+)\.")
        .map(lambda c: max(map(int, c), default=0))
    )
    after = dates >= pd.Timestamp("2018-07-01")
    assert codes[~after].max() <= 45
    assert codes[after].max() > 45


@pytest.mark.parametrize(
    "kwargs", [{"n_establishments": 0}, {"start": date(2020, 1, 1), "end": date(2019, 1, 1)}]
)
def test_bad_arguments_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        generate_inspections(**kwargs)


def test_demo_rows_are_the_same_rows_under_canonical_names() -> None:
    export = generate_inspections(100, seed=11)
    rows = demo_rows(n_establishments=100, seed=11)
    assert list(rows.columns) == list(CANONICAL_COLUMNS)
    assert (rows.to_numpy() == export.to_numpy()).all()


def test_the_csv_is_written_like_the_portal_export(tmp_path: Path) -> None:
    frame = generate_inspections(80, seed=2)
    path = write_export_csv(frame, tmp_path / "export.csv")
    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == list(EXPORT_HEADERS)
    assert path.read_text().splitlines()[0] == ",".join(EXPORT_HEADERS)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, frame)


# --------------------------------------------------------------------------- calibration


def _normalised(values: pd.Series) -> pd.Series:
    values = values.str.strip().str.lower()
    return values[values != ""]


def total_variation(real: pd.Series, generated: pd.Series, top: int) -> float:
    """TV distance between two categorical marginals over real's `top` values plus '(other)'."""
    p = _normalised(real).value_counts(normalize=True)
    q = _normalised(generated).value_counts(normalize=True)
    keep = p.index[:top]
    p = np.r_[p[keep].to_numpy(), p.drop(keep).sum()]
    q = q.reindex(keep, fill_value=0.0).to_numpy()
    q = np.r_[q, 1.0 - q.sum()]
    return float(0.5 * np.abs(p - q).sum())


def violations_per_inspection(texts: pd.Series) -> float:
    texts = texts[texts.str.strip() != ""]
    return float((texts.str.count(r" \| ") + 1).mean())


def test_marginals_stay_close_to_the_real_rows(shared_data: Path, sample: pd.DataFrame) -> None:
    union = shared_data / "chicago_union_2010-2025.csv.gz"
    if not union.exists():
        pytest.skip(f"{union} not found")
    real = pd.read_csv(union, dtype=str, keep_default_na=False)
    # Rows that came only from the City's evaluation files are a selection (Canvass inspections
    # with a pass/fail outcome): they would skew the type and result mix, so they are left out.
    selected = (
        real["sources"]
        .str.split(" | ", regex=False)
        .map(lambda names: all(n.startswith("Chicago/food-inspections-evaluation") for n in names))
    )
    real = real[~selected]
    # One source cut the violation text at 254 characters, which drops items.
    untruncated = real.loc[~real["sources"].str.contains("truncated"), "violations"]

    measured = {
        "results": total_variation(real["results"], sample["Results"], top=6),
        "inspection_types": total_variation(
            real["inspection_type"], sample["Inspection Type"], top=8
        ),
        "facility_types": total_variation(real["facility_type"], sample["Facility Type"], top=10),
    }
    real_items = violations_per_inspection(untruncated)
    generated_items = violations_per_inspection(sample["Violations"])
    print(f"\ncalibration: {measured}; violations per inspection real {real_items:.2f} ")
    print(f"generated {generated_items:.2f}")

    assert measured["results"] <= MAX_TV_RESULTS
    assert measured["inspection_types"] <= MAX_TV_INSPECTION_TYPES
    assert measured["facility_types"] <= MAX_TV_FACILITY_TYPES
    assert abs(real_items - generated_items) <= MAX_VIOLATIONS_GAP
