"""`canvass`: the command line a person uses. Output is for people (rich); work is in the flows.

The app and its shared options are in `_app`; the commands, by job, in `pipeline`, `models`,
`servers`, `warehouse_commands` and `lake_commands`; what they print in `output`.
"""

from __future__ import annotations

import sys

from flows.cli import (  # noqa: F401 (they register commands)
    lake_commands,
    models,
    pipeline,
    servers,
    warehouse_commands,
)
from flows.cli._app import OPTIONS, app, console
from flows.cli.errors import explain

__all__ = ["app", "main"]


def main() -> None:
    """The console script: failures end with one clear sentence; `--verbose` adds the traceback."""
    try:
        app()
    except Exception as err:
        if OPTIONS.verbose:
            raise
        console.print(explain(err) or f"[red bold]Failed:[/] {type(err).__name__}: {err}")
        console.print("[dim](run again with --verbose for the traceback)[/]")
        sys.exit(1)
