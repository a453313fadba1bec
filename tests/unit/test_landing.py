"""The landing zone is content-addressed and leaves no partial file behind (hardening finding 8:
every re-run of the same export landed a new 4 MB copy, and failed writes left `.partial` files)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from warehouse import landing
from warehouse.datasets import CANONICAL_COLUMNS


def _frame(n: int, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {c: [f"{c}-{i + offset}" for i in range(n)] for c in CANONICAL_COLUMNS}, dtype=object
    )


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_same_bytes_are_stored_once(tmp_path: Path) -> None:
    first = landing.land([_frame(50)], str(tmp_path), uuid.uuid4())
    again = landing.land([_frame(20), _frame(30, 20)], str(tmp_path), uuid.uuid4())
    other = landing.land([_frame(51)], str(tmp_path), uuid.uuid4())
    assert first.rows == 50 and other.rows == 51
    assert first.url != other.url
    parquet = [p for p in _files(tmp_path) if p.suffix == ".parquet"]
    if again.sha256 == first.sha256:  # the same rows in other chunks may differ in row groups
        assert again.url == first.url
    assert len(parquet) == len({first.sha256, again.sha256, other.sha256})
    twice = landing.land([_frame(50)], str(tmp_path), uuid.uuid4())
    assert (twice.url, twice.sha256) == (first.url, first.sha256)
    assert Path(first.url).name == f"{first.sha256}.parquet"
    assert Path(first.url).parent.name == f"sha256={first.sha256[:2]}"
    assert not list((tmp_path / "food_inspections" / "partial").iterdir())


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def frames() -> Iterator[pd.DataFrame]:
        yield _frame(10)
        raise ConnectionError("the source hung up")

    with pytest.raises(ConnectionError):
        landing.land(frames(), str(tmp_path), uuid.uuid4())
    assert _files(tmp_path) == []


def test_partials_left_by_a_killed_process_are_swept_after_a_day(tmp_path: Path) -> None:
    partial_dir = tmp_path / "food_inspections" / "partial"
    partial_dir.mkdir(parents=True)
    stale, fresh = partial_dir / "batch=old.parquet", partial_dir / "batch=new.parquet"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")  # perhaps another load writing right now: kept
    long_ago = time.time() - landing.PARTIAL_MAX_AGE_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    landing.land([_frame(5)], str(tmp_path), uuid.uuid4())
    assert not stale.exists() and fresh.exists()
