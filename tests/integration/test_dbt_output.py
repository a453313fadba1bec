"""dbt's output read by a person: no colour codes when it is piped into a file or a program."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warehouse.dbt import run_dbt


def test_piped_dbt_prints_no_colour_codes(
    warehouse_url: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # under capture stdout is a pipe, as in `make demo > log` or `canvass transform | less`
    invocation = run_dbt(["parse"], target_path=tmp_path)
    printed = capfd.readouterr()
    assert invocation.success
    assert "Running with dbt=" in printed.out + printed.err
    assert "\x1b[" not in printed.out + printed.err
    assert "DBT_USE_COLORS" not in os.environ  # set for the invocation only
