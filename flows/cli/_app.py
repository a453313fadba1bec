"""The `canvass` Typer app, its console and the settings every command shares.

Commands live beside this module by job (`pipeline`, `servers`, `warehouse_commands`); output
helpers for people in `output`. Nothing here imports a flow: commands import theirs when run.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from datetime import date
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flows.progress import is_progress
from warehouse.settings import get_settings

app = typer.Typer(
    help="Canvass: which food establishments to inspect first, and why.",
    no_args_is_help=True,
    add_completion=False,
)
warehouse_app = typer.Typer(help="The embedded PostgreSQL warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")
lake_app = typer.Typer(
    help="The dbt project on Apache Spark, from the raw tables as Parquet (the Spark extra).",
    no_args_is_help=True,
)
app.add_typer(lake_app, name="lake")
# Piped into a file or another program, rich would cut tables to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)

DASHBOARD_PORT = 5006
API_PORT = 8000
DOCS_PORT = 8080


class _Options:
    verbose = False  # --verbose: debug logs, and tracebacks with every failure


OPTIONS = _Options()


@app.callback()
def _setup(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Everything on the terminal (dbt's and Prefect's detail, debug logs) and the "
            "traceback of a failure; by default one line per stage, the rest in logs/canvass.log.",
        ),
    ] = False,
) -> None:
    """Point Prefect at the project's own home before it is imported, and tame library logs."""
    OPTIONS.verbose = verbose
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    settings = get_settings()
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "DEBUG" if verbose else "INFO")
    # Should a flow still start Prefect's temporary server, give it the time a busy machine needs.
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
        str(int(settings.prefect_startup_timeout_s)),
    )
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s")
    for noisy in ("pgserver", "httpx", "asyncio", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_file() -> Path:
    """Where a command that runs flows writes its whole log (the terminal shows less):
    `CANVASS_LOG_FILE`, else `logs/canvass.log` under the project."""
    configured = os.environ.get("CANVASS_LOG_FILE")
    return Path(configured) if configured else get_settings().project_dir / "logs" / "canvass.log"


def dbt_log_file() -> Path:
    """dbt's own log of every node (`logs/dbt.log` under the project, or `DBT_LOG_PATH`)."""
    configured = os.environ.get("DBT_LOG_PATH")
    return Path(configured or get_settings().project_dir / "logs") / "dbt.log"


def where_the_logs_are() -> str:
    """One sentence for the end of a run: where its detail went."""
    shown = "" if OPTIONS.verbose else " (`canvass --verbose ...` prints it all here)"
    return f"Full log: {_short(log_file())}; dbt's: {_short(dbt_log_file())}{shown}."


def _short(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def prepare_flows() -> None:
    """Before a command runs a flow: the project's Prefect server (started if need be), the
    whole log to `log_file()`, and unless --verbose a quiet terminal: the flows' progress lines
    (`flows.progress`) and warnings only, without tracebacks, and dbt's errors only (its detail
    stays in `dbt_log_file()`). The Prefect UI gets every record either way."""
    from flows.cli import prefect_server

    prefect_server.ensure()
    import prefect.main  # noqa: F401 - configures Prefect's logging, once per process

    _log_to_file()
    if not OPTIONS.verbose:
        os.environ.setdefault("DBT_QUIET", "true")
        _quiet_prefect_tracebacks()
        _quiet_terminal()
    logging.getLogger("canvass.cli").info("canvass %s", " ".join(sys.argv[1:]))


def _log_to_file() -> None:
    path = log_file()
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=20_000_000, backupCount=3, encoding="utf-8")
    handler.setLevel(logging.DEBUG if OPTIONS.verbose else logging.INFO)
    handler.setFormatter(_LogFileFormat())
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.DEBUG if OPTIONS.verbose else logging.INFO)


class _LogFileFormat(logging.Formatter):
    """One line per record: time, level, logger, and the Prefect run it came from."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        run = getattr(record, "task_run_name", None) or getattr(record, "flow_run_name", None)
        return line.replace(": ", f" [{run}]: ", 1) if run else line


class _ProgressLines(logging.Handler):
    """The flows' progress records, one line each on the console."""

    def emit(self, record: logging.LogRecord) -> None:
        if is_progress(record):
            stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
            console.print(f"[dim]{stamp}[/] [cyan]›[/] {record.getMessage()}", highlight=False)


def _terminal_handlers() -> set[logging.Handler]:
    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    return {
        h
        for lg in loggers
        for h in getattr(lg, "handlers", [])
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    }


def _quiet_terminal() -> None:
    """Prefect's console shows warnings and errors only; progress lines print on their own."""
    for handler in _terminal_handlers():
        handler.setLevel(max(handler.level, logging.WARNING))
    root = logging.getLogger()
    if not any(isinstance(h, _ProgressLines) for h in root.handlers):
        root.addHandler(_ProgressLines(logging.INFO))


class _WithoutTraceback(logging.Formatter):
    """Formats as the wrapped formatter does, leaving out the exception's traceback."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text = saved


def _quiet_prefect_tracebacks() -> None:
    """Every handler that writes to the terminal leaves tracebacks out; the handler that sends
    Prefect's logs to its server (the UI) and the log file keep them."""
    for handler in _terminal_handlers():
        if not isinstance(handler.formatter, _WithoutTraceback):
            handler.setFormatter(_WithoutTraceback(handler.formatter))


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2024-01-31") from None


def parse_window(since: str | None, until: str | None, *, last_week: bool = False) -> tuple:
    """`--since`/`--until` as dates, refusing an empty window and a clash with `--last-week`."""
    first, last = parse_date(since), parse_date(until)
    if last_week and (first or last):
        raise typer.BadParameter("--last-week picks its own dates: drop --since/--until")
    if first and last and last <= first:
        raise typer.BadParameter(
            f"--until {last} is not after --since {first}: the window [since, until) is empty"
        )
    return first, last
