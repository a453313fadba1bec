"""Dispatch that cannot lie: a macro's `default__` variant fails the compilation by name.

Postgres spellings live in `postgres__` variants (Spark's in `spark__`); an engine without its own
variant must stop with a clear error rather than run Postgres SQL it reads differently. Calling the
`default__` variants directly stands in for such an engine here; test_spark_engine.py compiles a
model whose macro has no Spark variant on Spark itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.settings import get_settings

DBT = Path(sys.executable).parent / "dbt"


@pytest.mark.parametrize(
    ("macro", "args"),
    [
        ("default__clean_text", "{column: dba_name}"),
        ("default__columns_to_rows", "{row_alias: r, alias: a, key_name: k, value_name: v}"),
        ("default__days_between", "{later: a, earlier: b}"),
    ],
)
def test_a_default_variant_fails_naming_the_macro_and_the_engine(
    warehouse_url: str, tmp_path: Path, macro: str, args: str
) -> None:
    settings = get_settings()
    project = str(settings.project_dir)
    result = subprocess.run(
        [str(DBT), "run-operation", macro, "--args", args, "--project-dir", project,
         "--profiles-dir", project, "--target-path", str(tmp_path)],
        capture_output=True,
        text=True,
        env=os.environ | settings.dbt_env(),
        timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    name = macro.removeprefix("default__")
    assert f"canvass.{name} has no variant for the postgres adapter" in result.stdout
    assert f"write postgres__{name} in macros/" in result.stdout
