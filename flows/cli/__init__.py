"""`canvass`: the command line a person uses. Output is for people (rich); work is in the flows.

The app and its shared options are in `_app`; the commands, by job, in `pipeline`, `servers` and
`warehouse_commands`; what they print in `output`.
"""

from __future__ import annotations

import sys

from flows.cli import pipeline, servers, warehouse_commands  # noqa: F401 (they register commands)
from flows.cli._app import app, console

__all__ = ["app", "main"]


def main() -> None:
    """The console script: known failures end with one clear sentence, not a traceback."""
    import psycopg

    from ml.config import ConfigError
    from ml.frames import FrameError
    from ml.scoring import NoDeployedModel
    from warehouse.dbt import DbtFailed
    from warehouse.embedded import WarehouseError

    try:
        app()
    except WarehouseError as err:
        console.print(f"[red bold]Warehouse:[/] {err}")
        sys.exit(1)
    except (FrameError, NoDeployedModel) as err:
        console.print(f"[red bold]Nothing to work on:[/] {err}")
        sys.exit(1)
    except ConfigError as err:
        console.print(f"[red bold]The experiment file is invalid:[/] {err}")
        sys.exit(1)
    except psycopg.errors.UndefinedTable as err:
        console.print(
            f"[red bold]The warehouse is not built yet[/] ({str(err).splitlines()[0]}): "
            "run `canvass demo`, or `canvass run --source ...` on your data."
        )
        sys.exit(1)
    except DbtFailed as err:
        console.print(f"[red bold]dbt:[/] {err}\nSee `canvass transform --history`.")
        sys.exit(1)
    except psycopg.OperationalError as err:
        console.print(
            f"[red bold]Cannot reach the database:[/] {str(err).strip()}\n"
            "Is DATABASE_URL right? Without it, `canvass warehouse start` starts the embedded one."
        )
        sys.exit(1)
