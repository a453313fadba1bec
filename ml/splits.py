"""Temporal cross-validation: train on everything before t, test on [t, t + window), roll t monthly.

Every interval is half-open: `train_start <= date < train_end == test_start <= date < test_end`.
Windows sit on calendar months: the last test window ends at the first day of the month of the
day after the latest labelled inspection, and the earlier windows step back one window length at a
time, so they tile the most recent `n_windows * window` whole months with no gap and no overlap.
A week of new inspections therefore moves no window until a month ends: every cross-validation
model is reused (same window, same training rows) and only the deployed refit on all rows is new.
The inspections of the current, unfinished month train that refit; they test nothing yet.
Windows with no training rows or no test rows are dropped (and logged).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd

from ml.config import TemporalConfig

log = logging.getLogger(__name__)


class LeakageError(AssertionError):
    """A split would let a model see the future or overlap its own test data."""


@dataclass(frozen=True)
class Split:
    train_start: dt.date
    train_end: dt.date  # exclusive; equals test_start
    test_start: dt.date
    test_end: dt.date  # exclusive

    @property
    def name(self) -> str:
        return f"{self.test_start:%Y-%m-%d}"

    def train_mask(self, dates: pd.Series) -> pd.Series:
        d = pd.to_datetime(dates)
        return (d >= pd.Timestamp(self.train_start)) & (d < pd.Timestamp(self.train_end))

    def test_mask(self, dates: pd.Series) -> pd.Series:
        d = pd.to_datetime(dates)
        return (d >= pd.Timestamp(self.test_start)) & (d < pd.Timestamp(self.test_end))


def make_splits(label_dates: pd.Series, temporal: TemporalConfig) -> list[Split]:
    """Splits for the labelled inspection dates available, oldest window first."""
    dates = pd.to_datetime(pd.Series(label_dates)).dropna()
    if dates.empty:
        return []
    first = dates.min().normalize()
    after_last = dates.max().normalize() + pd.Timedelta(days=1)
    end = after_last.replace(day=1)  # the month boundary on or before it
    step = pd.DateOffset(months=temporal.test_window_months)
    bounds = [end - step * j for j in range(temporal.n_windows + 1)]
    splits: list[Split] = []
    for j in range(temporal.n_windows, 0, -1):
        test_start, test_end = bounds[j], bounds[j - 1]
        train_start = first
        if temporal.max_train_months is not None:
            train_start = max(first, test_start - pd.DateOffset(months=temporal.max_train_months))
        split = Split(
            train_start=train_start.date(),
            train_end=test_start.date(),
            test_start=test_start.date(),
            test_end=test_end.date(),
        )
        n_train = int(split.train_mask(dates).sum())
        n_test = int(split.test_mask(dates).sum())
        if n_train == 0 or n_test == 0:
            log.info("skipping window %s: %d train rows, %d test rows", split.name, n_train, n_test)
            continue
        splits.append(split)
    check_splits(splits)
    return splits


def check_splits(splits: list[Split]) -> None:
    """Raise LeakageError unless every split trains strictly before it tests and tests don't overlap."""
    for s in splits:
        if not (s.train_start <= s.train_end == s.test_start < s.test_end):
            raise LeakageError(f"split {s}: training must end where testing starts")
    ordered = sorted(splits, key=lambda s: s.test_start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.test_start < a.test_end:
            raise LeakageError(f"test windows overlap: {a.name} and {b.name}")


def check_no_leakage(split: Split, train_dates: pd.Series, test_dates: pd.Series) -> None:
    """Raise LeakageError if any training row is on/after the test start or a test row is outside."""
    train = pd.to_datetime(pd.Series(train_dates))
    test = pd.to_datetime(pd.Series(test_dates))
    if len(train) and train.max() >= pd.Timestamp(split.test_start):
        raise LeakageError(f"window {split.name}: a training row is dated {train.max():%Y-%m-%d}")
    if len(train) and train.min() < pd.Timestamp(split.train_start):
        raise LeakageError(f"window {split.name}: a training row predates the training window")
    if len(test) and (
        test.min() < pd.Timestamp(split.test_start) or test.max() >= pd.Timestamp(split.test_end)
    ):
        raise LeakageError(f"window {split.name}: a test row falls outside the test window")
