"""Temporal splits: contiguous monthly test windows, training strictly before, no overlap."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ml.config import TemporalConfig
from ml.splits import LeakageError, Split, check_no_leakage, check_splits, make_splits


def _dates(start: str, end: str) -> pd.Series:
    return pd.Series(pd.date_range(start, end, freq="D"))


def test_windows_tile_the_last_months_with_training_strictly_before() -> None:
    dates = _dates("2012-01-01", "2013-12-31")
    splits = make_splits(dates, TemporalConfig(test_window_months=1, n_windows=12))
    assert len(splits) == 12
    assert splits[-1].test_end == dt.date(2014, 1, 1)  # the day after the latest label
    assert splits[0].test_start == dt.date(2013, 1, 1)
    for s in splits:
        assert s.train_start == dt.date(2012, 1, 1)
        assert s.train_end == s.test_start
    for a, b in zip(splits, splits[1:], strict=False):
        assert a.test_end == b.test_start  # no gap, no overlap
    for s in splits:
        train = dates[s.train_mask(dates)]
        test = dates[s.test_mask(dates)]
        assert train.max() < pd.Timestamp(s.test_start) <= test.min()
        assert test.max() < pd.Timestamp(s.test_end)
        assert set(train) & set(test) == set()
        check_no_leakage(s, train, test)


def test_windows_stay_put_while_a_month_fills() -> None:
    """A week of new inspections moves no window: they end at the month boundary, so every
    cross-validation model trains on the same rows and is reused; the new days wait for the
    month to end (the deployed refit trains on them)."""
    config = TemporalConfig(test_window_months=1, n_windows=3)
    before = make_splits(_dates("2013-01-01", "2013-06-10"), config)
    week_later = make_splits(_dates("2013-01-01", "2013-06-17"), config)
    assert before == week_later
    assert before[-1].test_end == dt.date(2013, 6, 1)
    assert [s.test_start for s in before] == [
        dt.date(2013, 3, 1),
        dt.date(2013, 4, 1),
        dt.date(2013, 5, 1),
    ]
    # the month ends: one new window, the oldest drops out
    next_month = make_splits(_dates("2013-01-01", "2013-07-02"), config)
    assert [s.test_start for s in next_month] == [s.test_start for s in before[1:]] + [
        dt.date(2013, 6, 1)
    ]
    assert next_month[:2] == before[1:]


def test_max_training_history_limits_the_window() -> None:
    dates = _dates("2010-01-01", "2013-12-31")
    splits = make_splits(
        dates, TemporalConfig(test_window_months=2, n_windows=3, max_train_months=12)
    )
    assert [s.test_start for s in splits] == [
        dt.date(2013, 7, 1),
        dt.date(2013, 9, 1),
        dt.date(2013, 11, 1),
    ]
    for s in splits:
        assert s.train_start == (pd.Timestamp(s.test_start) - pd.DateOffset(months=12)).date()


def test_windows_without_test_rows_or_training_rows_are_dropped() -> None:
    dates = pd.concat([_dates("2013-01-01", "2013-03-31"), _dates("2013-06-01", "2013-06-30")])
    splits = make_splits(dates, TemporalConfig(n_windows=12))
    # June has rows; April and May are empty; January has no earlier training rows.
    assert [s.test_start.month for s in splits] == [2, 3, 6]


def test_leakage_is_detected() -> None:
    split = Split(
        dt.date(2012, 1, 1), dt.date(2013, 1, 1), dt.date(2013, 1, 1), dt.date(2013, 2, 1)
    )
    with pytest.raises(LeakageError):
        check_no_leakage(
            split, pd.Series([pd.Timestamp("2013-01-01")]), pd.Series([pd.Timestamp("2013-01-15")])
        )
    with pytest.raises(LeakageError):
        check_no_leakage(
            split, pd.Series([pd.Timestamp("2012-06-01")]), pd.Series([pd.Timestamp("2013-02-01")])
        )
    with pytest.raises(LeakageError):
        check_splits(
            [
                Split(
                    dt.date(2012, 1, 1),
                    dt.date(2013, 1, 2),
                    dt.date(2013, 1, 1),
                    dt.date(2013, 2, 1),
                )
            ]
        )
    overlapping = [
        Split(dt.date(2012, 1, 1), dt.date(2013, 1, 1), dt.date(2013, 1, 1), dt.date(2013, 3, 1)),
        Split(dt.date(2012, 1, 1), dt.date(2013, 2, 1), dt.date(2013, 2, 1), dt.date(2013, 4, 1)),
    ]
    with pytest.raises(LeakageError, match="overlap"):
        check_splits(overlapping)


def test_no_dates_no_splits() -> None:
    assert make_splits(pd.Series([], dtype="datetime64[ns]"), TemporalConfig()) == []
