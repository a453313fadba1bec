"""The feature catalogue's bounds (seed feature_catalogue: required, min_value, max_value), which
the dbt test within_catalogue_bounds holds both feature marts to."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.features import CATALOGUE, catalogue

# what a unit implies about a feature's range
_RANGE_BY_UNIT = {"rate": (0.0, 1.0), "count": (0.0, None), "month": (1.0, 12.0)}


def test_every_rate_count_and_month_is_bounded_by_its_unit() -> None:
    features = catalogue()
    for f in features:
        if f.unit in _RANGE_BY_UNIT:
            assert (f.min_value, f.max_value) == _RANGE_BY_UNIT[f.unit], f.feature
        if f.unit == "days" and f.feature.startswith("days_since"):
            assert f.min_value == 1.0, f"{f.feature}: 0 days would mean it saw its own date"
    assert {f.feature for f in features if f.required} >= {"prior_inspections", "facility_group"}


def test_a_required_flag_that_is_not_true_or_false_names_its_feature(tmp_path: Path) -> None:
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",", len(header) - 1)
    cells[header.index("required")] = "yes"
    bad = tmp_path / "feature_catalogue.csv"
    bad.write_text("\n".join([lines[0], ",".join(cells)]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"feature facility_group: required is 'yes'"):
        catalogue(bad)
