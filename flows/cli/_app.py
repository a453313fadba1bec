"""The `canvass` Typer app, its console and the settings every command shares.

Commands live beside this module by job (`pipeline`, `servers`, `warehouse_commands`); output
helpers for people in `output`. Nothing here imports a flow: commands import theirs when run.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from warehouse.settings import get_settings

app = typer.Typer(
    help="Canvass: which food establishments to inspect first, and why.",
    no_args_is_help=True,
    add_completion=False,
)
warehouse_app = typer.Typer(help="The embedded PostgreSQL warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")
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
        bool, typer.Option("--verbose", "-v", help="Debug logs, and the traceback of a failure.")
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


def prepare_flows() -> None:
    """Before a command runs a flow: the project's Prefect server (started if need be), and
    Prefect's console log without tracebacks unless --verbose (the Prefect UI keeps them)."""
    from flows.cli import prefect_server

    prefect_server.ensure()
    if not OPTIONS.verbose:
        _quiet_prefect_tracebacks()


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
    Prefect's logs to its server (the UI) keeps them."""
    import prefect.main  # noqa: F401 - configures Prefect's logging, once per process

    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    for handler in {h for lg in loggers for h in getattr(lg, "handlers", [])}:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler.formatter, _WithoutTraceback
        ):
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
