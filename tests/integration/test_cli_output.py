"""Output a person can read: by default the terminal shows what a command did (and progress lines
of long runs), not every Prefect and dbt record; those go to the log file, whose path the run's
summary names; `--verbose` shows everything."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from support.cli import canvass

from flows.cli import _app
from flows.progress import PROGRESS
from flows.sources.demo import generate_inspections, write_export_csv


@pytest.fixture(scope="module")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "inspections.csv"
    write_export_csv(generate_inspections(n_establishments=20, seed=7), path)
    return path


def test_by_default_the_terminal_shows_the_result_and_the_log_file_the_rest(
    cli_env: dict[str, str], small_export: Path, tmp_path: Path
) -> None:
    log = tmp_path / "canvass.log"
    code, out, _ = canvass(
        cli_env | {"CANVASS_LOG_FILE": str(log)}, "ingest", "--source", str(small_export)
    )
    assert code == 0, out
    assert "food_inspections batch" in out  # what the command did
    assert "Finished in state" not in out and "| INFO" not in out  # Prefect's chatter is not
    assert len(out.splitlines()) < 8, out
    written = log.read_text()
    assert f"canvass ingest --source {small_export}" in written
    assert "Finished in state Completed()" in written
    assert "prefect.flow_runs [" in written  # each record names the run it came from


def test_verbose_shows_prefects_records_on_the_terminal(
    cli_env: dict[str, str], small_export: Path, tmp_path: Path
) -> None:
    env = cli_env | {"CANVASS_LOG_FILE": str(tmp_path / "canvass.log")}
    code, out, _ = canvass(env, "--verbose", "ingest", "--source", str(small_export))
    assert code == 0, out
    assert "Finished in state Completed()" in out


def test_progress_records_print_one_line_each_and_others_do_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = _app._ProgressLines(logging.INFO)
    logger = logging.getLogger("canvass.test.progress")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("stage 2/5: transform", extra=PROGRESS)
        logger.info("a detail nobody follows")
        logger.warning("a warning (the terminal's own handler shows those)")
    finally:
        logger.removeHandler(handler)
    printed = capsys.readouterr().out
    assert "stage 2/5: transform" in printed
    assert "detail" not in printed and "warning" not in printed
    assert len(printed.strip().splitlines()) == 1


def test_the_summary_says_where_the_logs_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CANVASS_LOG_FILE", str(tmp_path / "run.log"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt"))
    monkeypatch.setattr(_app.OPTIONS, "verbose", False)
    sentence = _app.where_the_logs_are()
    assert str(tmp_path / "run.log") in sentence
    assert str(tmp_path / "dbt" / "dbt.log") in sentence
    assert "--verbose" in sentence
