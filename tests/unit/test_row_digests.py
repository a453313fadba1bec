"""Row digests (warehouse/load.py): equal rows, equal digests; any difference, a different one."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pyarrow as pa

from warehouse.load import row_digests

COLUMNS = ["id", "name", "day", "score"]


def _table(**columns: list) -> pa.Table:
    base = {
        "id": pa.array([1, 2, 3], pa.int64()),
        "name": pa.array(["a", "", None], pa.string()),
        "day": pa.array([date(2020, 1, 1), None, date(2020, 1, 3)], pa.date32()),
        "score": pa.array([1.5, None, float("nan")], pa.float64()),
    }
    return pa.table(base | columns)


def test_the_same_rows_give_the_same_digests_call_after_call() -> None:
    first, second = row_digests(_table(), COLUMNS), row_digests(_table(), COLUMNS)
    assert first.type == pa.int64()
    assert first.to_pylist() == second.to_pylist()
    assert len(set(first.to_pylist())) == 3


def test_another_process_computes_the_same_digests() -> None:
    """Loads run in different processes: the digest must not depend on Python's per-process
    string hashing (PYTHONHASHSEED)."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from test_row_digests import _table, COLUMNS; "
        "from warehouse.load import row_digests; "
        "print(row_digests(_table(), COLUMNS).to_pylist())"
    )
    here = os.path.dirname(__file__)
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, here],
            env=os.environ | {"PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }  # fmt: skip
    assert outputs == {str(row_digests(_table(), COLUMNS).to_pylist())}


def test_one_value_changed_changes_that_rows_digest_only() -> None:
    before = row_digests(_table(), COLUMNS).to_pylist()
    after = row_digests(_table(name=pa.array(["a", "b", None])), COLUMNS).to_pylist()
    assert after[0] == before[0] and after[2] == before[2]
    assert after[1] != before[1]


def test_null_empty_nan_and_the_text_nan_are_different_values() -> None:
    """Rows equal in every other column: a null, an empty text and the text 'nan' differ, and so
    do a null number, NaN and 0 (pandas alone hashes a null and NaN alike)."""
    same = {
        "id": pa.array([1, 1, 1], pa.int64()),
        "day": pa.array([date(2020, 1, 1)] * 3, pa.date32()),
    }
    names = _table(**same, name=pa.array([None, "", "nan"]), score=pa.array([1.0] * 3))
    assert len(set(row_digests(names, COLUMNS).to_pylist())) == 3
    scores = _table(**same, name=pa.array(["a"] * 3), score=pa.array([None, float("nan"), 0.0]))
    assert len(set(row_digests(scores, COLUMNS).to_pylist())) == 3
