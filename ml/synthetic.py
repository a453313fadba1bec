"""Small synthetic frames shaped like `marts.ml_features` + `marts.ml_labels`, for tests and benches.

Establishments have a hidden failure propensity (higher for risk level 1 and for some zips) and are
inspected every few months; features are computed from strictly earlier inspections, so a model can
learn real signal and metrics behave like they do on the real data, at a fraction of the size.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ml import features as catalogue

GROUPS = ("restaurant", "grocery", "school", "bakery")
ZIPS = tuple(f"606{n:02d}" for n in range(1, 13))


def synthetic_features(
    n_establishments: int = 300,
    start: dt.date = dt.date(2012, 1, 1),
    end: dt.date = dt.date(2014, 1, 1),
    seed: int = 0,
) -> pd.DataFrame:
    """Labelled inspections with every feature of the catalogue (`ml.features`), in its order,
    plus is_failed and has_critical_violation."""
    rng = np.random.default_rng(seed)
    rows = []
    span = (end - start).days
    inspection_id = 1_000_000
    for e in range(n_establishments):
        group = GROUPS[min(int(rng.exponential(0.9)), len(GROUPS) - 1)]
        zip_code = ZIPS[int(rng.integers(len(ZIPS)))] if rng.random() > 0.03 else None
        risk = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
        latent = (
            rng.normal(0, 0.8)
            + (0.9 if risk == 1 else 0.0)
            + (0.4 if zip_code in ZIPS[:3] else 0.0)
        )
        day = int(rng.integers(0, 120))
        first_seen = start + dt.timedelta(days=day)
        history: list[tuple[dt.date, int]] = []
        while day < span:
            date = start + dt.timedelta(days=day)
            prior = len(history)
            fails = sum(f for _, f in history)
            last_fail = max((d for d, f in history if f), default=None)
            recent = [f for d, f in history if (date - d).days <= 365]
            recent3 = [f for d, f in history if (date - d).days <= 3 * 365]
            last_failed = bool(history and history[-1][1])
            p = 1 / (1 + np.exp(-(-1.9 + latent + 0.6 * last_failed)))
            failed = int(rng.random() < p)
            inspection_id += int(rng.integers(1, 5))
            rows.append(
                {
                    "inspection_id": inspection_id,
                    "establishment_id": str(10_000 + e),
                    "license_number": 10_000 + e,
                    "inspection_date": date,
                    "facility_group": group,
                    "risk_level": risk,
                    "inspection_type": "canvass" if rng.random() > 0.1 else "complaint",
                    "zip": zip_code,
                    "prior_inspections": prior,
                    "prior_fails": fails,
                    "prior_critical_violations": fails + int(rng.integers(0, 2)) if prior else 0,
                    "prior_serious_violations": int(rng.integers(0, 3)) * (prior > 0),
                    "days_since_last_inspection": (date - history[-1][0]).days if history else None,
                    "days_since_last_fail": (date - last_fail).days if last_fail else None,
                    "last_result": ("fail" if history[-1][1] else "pass") if history else None,
                    "fail_rate_1y": float(np.mean(recent)) if recent else None,
                    "fail_rate_3y": float(np.mean(recent3)) if recent3 else None,
                    "zip_fail_rate_365d": 0.2 + (0.1 if zip_code in ZIPS[:3] else 0.0),
                    "facility_group_fail_rate_365d": 0.2,
                    "zip_fail_rate_90d": float(rng.beta(2, 8)),
                    "zip_fail_rate_30d": float(rng.beta(2, 8)),
                    "days_since_first_seen": (date - first_seen).days,
                    "inspection_month": date.month,
                    "inspection_weekday": date.isoweekday(),
                    **{
                        f"{kind}_{radius}m_{days}d": int(
                            rng.poisson(rate * days / 30 * (radius / 500) ** 2)
                        )
                        for kind, rate in (("complaints", 1.5), ("burglaries", 1.0))
                        for radius in (500, 1000)
                        for days in (30, 90)
                    },
                    "max_temperature_3d_c": float(
                        15 + 13 * np.cos(2 * np.pi * (date.timetuple().tm_yday - 200) / 365)
                    ),
                    "precipitation_3d_mm": float(rng.exponential(2.0)),
                    "is_failed": bool(failed),
                    "has_critical_violation": bool(failed and rng.random() < 0.6),
                }
            )
            history.append((date, failed))
            day += int(rng.integers(90, 240))
    frame = pd.DataFrame(rows)
    missing = [f for f in catalogue.names() if f not in frame.columns]
    if missing:  # a feature added to the catalogue must be synthesised here too
        raise NotImplementedError(f"synthetic_features lacks catalogue feature(s): {missing}")
    keys = ["inspection_id", "establishment_id", "license_number", "inspection_date"]
    frame = frame[[*keys, *catalogue.names(), "is_failed", "has_critical_violation"]]
    return frame.sort_values(["inspection_date", "inspection_id"]).reset_index(drop=True)


def synthetic_cohort(features: pd.DataFrame, as_of_date: dt.date) -> pd.DataFrame:
    """A scoring cohort (one row per establishment) from the latest row of each establishment."""
    latest = features.sort_values("inspection_date").groupby("establishment_id").tail(1).copy()
    latest["as_of_date"] = as_of_date
    latest["inspection_type"] = "canvass"
    latest["inspection_month"] = as_of_date.month
    latest["inspection_weekday"] = as_of_date.isoweekday()
    return latest.drop(
        columns=["inspection_id", "inspection_date", "is_failed", "has_critical_violation"]
    ).reset_index(drop=True)
