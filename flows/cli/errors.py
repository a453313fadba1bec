"""Expected failures as one sentence and the command that fixes it (the traceback: `--verbose`)."""

from __future__ import annotations


def explain(err: BaseException) -> str | None:
    """What went wrong and what to do, for the failures a user can meet; None for a bug."""
    import psycopg

    from flows.cli.prefect_server import PrefectServerError
    from flows.sources.files import ExportFormatError
    from flows.sources.socrata import SourceRequestRejected, SourceUnavailable
    from ml.config import ConfigError
    from ml.frames import FrameError
    from ml.scoring import NoDeployedModel
    from warehouse.dbt import DbtFailed
    from warehouse.embedded import WarehouseError
    from warehouse.lake import LakeError

    if isinstance(err, WarehouseError):
        return f"[red bold]Warehouse:[/] {err}"
    if isinstance(err, LakeError):
        return f"[red bold]Lake:[/] {err}"
    if isinstance(err, FrameError | NoDeployedModel):
        return f"[red bold]Nothing to work on:[/] {err}"
    if isinstance(err, ConfigError):
        return f"[red bold]The experiment file is invalid:[/] {err}"
    if isinstance(err, psycopg.errors.UndefinedTable):
        return (
            f"[red bold]The warehouse is not built yet[/] ({str(err).splitlines()[0]}): "
            "run `canvass demo`, or `canvass run --source ...` on your data."
        )
    if isinstance(err, DbtFailed):
        return f"[red bold]dbt:[/] {err}\nSee `canvass transform --history`."
    if isinstance(err, psycopg.OperationalError):
        return (
            f"[red bold]Cannot reach the database:[/] {str(err).strip()}\n"
            "Is DATABASE_URL right? Without it, `canvass warehouse start` starts the embedded one."
        )
    if isinstance(err, FileNotFoundError | IsADirectoryError | PermissionError):
        return (
            f"[red bold]Cannot read the source:[/] {err.strerror}: {err.filename}\n"
            "Pass an export file, an fsspec URL or a Socrata /resource/ URL with --source."
        )
    if isinstance(err, ExportFormatError):
        return f"[red bold]Not a Food Inspections export:[/] {err}"
    if isinstance(err, SourceUnavailable):
        return (
            f"[red bold]The source did not answer:[/] {err}\n"
            "Check the URL and the network, then run the same command again "
            "(CANVASS_SOCRATA_MAX_WAIT_S sets how long a page is retried)."
        )
    if isinstance(err, SourceRequestRejected):
        return f"[red bold]The source refused the request:[/] {err}"
    if isinstance(err, PrefectServerError):
        return f"[red bold]Prefect:[/] {err}"
    return None
