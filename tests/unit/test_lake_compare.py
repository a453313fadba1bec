"""The Spark-against-Postgres comparison itself: it must see a difference when there is one."""

from __future__ import annotations

import pyarrow as pa

from warehouse import lake


def test_the_comparison_finds_a_changed_value_a_null_and_a_missing_row() -> None:
    postgres = pa.table({"id": [1, 2, 3], "name": ["a", "", "c"], "rate": [0.5, 0.25, None]})
    assert lake.compare_tables("m", postgres, postgres).equal
    shuffled = postgres.take([2, 0, 1])
    assert lake.compare_tables("m", postgres, shuffled).equal  # any row order
    near = postgres.set_column(2, "rate", pa.array([0.5 + 1e-12, 0.25, None]))
    assert lake.compare_tables("m", postgres, near).equal  # floats to 1e-9
    changed = postgres.set_column(2, "rate", pa.array([0.5, 0.26, None]))
    assert "rate" in lake.compare_tables("m", postgres, changed).difference
    empty_to_null = postgres.set_column(1, "name", pa.array(["a", None, "c"]))
    assert not lake.compare_tables("m", postgres, empty_to_null).equal
    assert "rows" in lake.compare_tables("m", postgres, postgres.slice(0, 2)).difference
