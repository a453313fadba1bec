"""The feature catalogue: the one list of the model's features, kept in `seeds/feature_catalogue.csv`.

Each row names a feature (a column of `marts.ml_features` and `marts.ml_scoring_cohort`), the label
people read, its kind (`categorical` or `numeric`), its unit (how to show a value), its group,
whether it may be null and the range of its values, and a note. dbt loads the same file as a seed:
the delivery marts take labels and units from it, and dbt tests check that both feature marts have
exactly its columns and keep its bounds (`within_catalogue_bounds`). The experiment's default
features, the synthetic frames and the dashboard's labels all come from here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "seeds" / "feature_catalogue.csv"
KINDS = ("categorical", "numeric")
UNITS = ("category", "count", "days", "rate", "level", "month", "weekday", "celsius", "mm")


@dataclass(frozen=True)
class Feature:
    feature: str
    label: str
    kind: str
    unit: str
    feature_group: str
    required: bool  # never null in either feature mart
    min_value: float | None
    max_value: float | None
    note: str

    @classmethod
    def from_row(cls, row: dict[str, str]) -> Feature:
        """A catalogue row as the CSV spells it (true/false, an empty bound for none)."""
        if row["required"] not in ("true", "false"):
            raise ValueError(f"feature {row['feature']}: required is {row['required']!r}")
        return cls(
            **{
                **row,
                "required": row["required"] == "true",
                "min_value": float(row["min_value"]) if row["min_value"] else None,
                "max_value": float(row["max_value"]) if row["max_value"] else None,
            }
        )


@cache
def catalogue(path: Path = CATALOGUE) -> tuple[Feature, ...]:
    """Every feature, in the catalogue's order (categorical first, as the encoder lists them)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        features = tuple(Feature.from_row(row) for row in csv.DictReader(handle))
    for f in features:
        if f.kind not in KINDS or f.unit not in UNITS:
            raise ValueError(f"{path}: feature {f.feature} has kind {f.kind!r}, unit {f.unit!r}")
    names = [f.feature for f in features]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: a feature is listed twice")
    return features


def names(kind: str | None = None) -> tuple[str, ...]:
    """The catalogue's feature names, of one kind when given."""
    return tuple(f.feature for f in catalogue() if kind is None or f.kind == kind)


def by_name() -> dict[str, Feature]:
    return {f.feature: f for f in catalogue()}
