"""The `canvass` Typer app, its console and the settings every command shares.

Commands live beside this module by job (`pipeline`, `servers`, `warehouse_commands`); output
helpers for people in `output`. Nothing here imports a flow: commands import theirs when run.
"""

from __future__ import annotations

import logging
import os
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
console = Console()

DASHBOARD_PORT = 5006
API_PORT = 8000
DOCS_PORT = 8080
UI_PORT = 4200


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Point Prefect at the project's own home before it is imported, and tame library logs."""
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    settings = get_settings()
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "DEBUG" if verbose else "INFO")
    if "PREFECT_API_URL" not in os.environ and _ui_answers(UI_PORT):
        # `canvass ui` is running: report to it, so runs appear live there (and one server, not
        # two, writes the project's Prefect database).
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{UI_PORT}/api"
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s")
    for noisy in ("pgserver", "httpx", "asyncio", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2024-01-31") from None


def _ui_answers(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
