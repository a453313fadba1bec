"""Output a person can read: by default the terminal shows what a command did (and progress lines
of long runs), not every Prefect and dbt record; those go to the log file, whose path the run's
summary names; `--verbose` shows everything."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest
from rich.table import Table
from support.cli import canvass, canvass_streams

from flows.cli import _app
from flows.cli.output import Format, emit
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


def test_tables_print_as_csv_or_json_with_only_the_data_on_stdout(
    cli_env: dict[str, str], small_export: Path, tmp_path: Path
) -> None:
    env = cli_env | {"CANVASS_LOG_FILE": str(tmp_path / "canvass.log")}
    assert canvass(env, "ingest", "--source", str(small_export))[0] == 0
    as_json = canvass_streams(env, "ingest", "--history", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    batches = json.loads(as_json.stdout)  # nothing but the data on stdout
    newest = batches[0]
    assert newest["source"] == str(small_export)  # whole, where the table shortens it
    assert len(newest["batch"]) == 36 and isinstance(newest["landed"], int)
    with small_export.open(newline="") as exported:
        assert newest["landed"] == sum(1 for _ in csv.DictReader(exported))
    as_csv = canvass_streams(env, "transform", "--history", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout.splitlines()[0].startswith("finished,command,ok,seconds")
    assert "No dbt runs recorded yet" in as_csv.stderr  # the note goes to stderr
    assert "No dbt runs" not in as_csv.stdout


def test_csv_and_json_hold_the_cells_as_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    first = Table(title="Models")
    for column in ("model", "prec@10%", "rows"):
        first.add_column(column)
    first.add_row("[italic]random (baseline)[/]", "0.196", "1,826")
    first.add_row("LogisticRegression(C=1.0)", "—", "")
    second = Table(title="Moves")
    second.add_column("alias")
    second.add_row("[green]champion")
    emit([first, second], Format.json)
    both = json.loads(capsys.readouterr().out)
    assert both["Models"] == [
        {"model": "random (baseline)", "prec@10%": 0.196, "rows": 1826},
        {"model": "LogisticRegression(C=1.0)", "prec@10%": None, "rows": None},
    ]
    assert both["Moves"] == [{"alias": "champion"}]
    emit([first], Format.csv)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == {"model": "random (baseline)", "prec@10%": "0.196", "rows": "1,826"}
    emit([first, second], Format.csv)
    sections = capsys.readouterr().out.split("\n\n")
    assert sections[0].startswith("# Models\nmodel,prec@10%,rows\n")
    assert sections[1] == "# Moves\nalias\nchampion\n"


def test_the_leaderboard_shortens_the_rules_for_people_not_for_programs() -> None:
    from flows.cli.output import leaderboard_table, table_records

    rows = [
        {"kind": "model", "model_group_id": "g1", "algorithm": "Forest", "selected_by": "a, b, c"}
    ]
    assert table_records(leaderboard_table(rows, "t"))[0]["selected by"] == "a +2 more"
    assert table_records(leaderboard_table(rows, "t", whole=True))[0]["selected by"] == "a, b, c"
