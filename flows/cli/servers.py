"""Commands that serve something until stopped: the API, the dashboard, the dbt docs, the Prefect
UI and the weekly schedule; and `canvass dbt`, any dbt command against the warehouse."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli._app import (
    API_PORT,
    DASHBOARD_PORT,
    DOCS_PORT,
    OPTIONS,
    app,
    console,
    prepare_flows,
)
from warehouse.settings import get_settings


@app.command()
def api(
    port: Annotated[int, typer.Option(help="Port.")] = API_PORT,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the REST API (read-only role); OpenAPI docs at /docs."""
    import uvicorn

    console.print(f"API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port.")] = DASHBOARD_PORT,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    show: Annotated[bool, typer.Option(help="Open a browser.")] = False,
) -> None:
    """Serve the Bokeh dashboard: the ranking, monitoring and model pages."""
    from dashboards import serve
    from dashboards.pages import PAGES

    for path, _, title in PAGES:
        console.print(f"{title}: http://{host}:{port}{path}")
    serve(port=port, address=host, show=show)


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port.")] = DOCS_PORT,
    generate_only: Annotated[bool, typer.Option(help="Build the site and exit.")] = False,
) -> None:
    """Generate the dbt docs site (lineage with exposures) and serve it."""
    from warehouse.db import ensure_warehouse
    from warehouse.dbt import name_owners, run_dbt

    settings = ensure_warehouse()
    if not OPTIONS.verbose:
        os.environ.setdefault("DBT_QUIET", "true")  # the spinner says what runs; errors still show
    with console.status("dbt docs generate"):
        invocation = run_dbt(["docs", "generate"], settings)
    if not invocation.success:
        console.print("[red]dbt docs generate failed[/]: run [bold]canvass run[/] first?")
        raise typer.Exit(1)
    site = settings.dbt_target_dir
    name_owners(site)  # the teams of models/_groups.yml, not the database role, as owners
    console.print(f"dbt docs site in {site}")
    if generate_only:
        return
    _serve_directory(site, port, "dbt docs")


def _serve_directory(directory: Path, port: int, what: str) -> None:
    """Serve `directory` over HTTP on 127.0.0.1 in this process until Ctrl-C or a signal, so
    stopping the command stops the server (no child process is left behind)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            logging.getLogger("canvass.http").debug(format, *args)

    try:
        server = ThreadingHTTPServer(
            ("127.0.0.1", port), partial(QuietHandler, directory=str(directory))
        )
    except OSError as err:
        console.print(f"[red]Cannot serve {what} on port {port}[/]: {err.strerror}; try --port")
        raise typer.Exit(1) from err
    console.print(f"Serving {what} on http://127.0.0.1:{port} (Ctrl-C to stop)")
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("stopped")


@app.command()
def ui(
    stop: Annotated[
        bool, typer.Option("--stop", help="Stop the project's Prefect server and its processes.")
    ] = False,
) -> None:
    """Start (or find) the project's Prefect server and print the UI's address; --stop ends it."""
    from flows.cli import prefect_server

    settings = get_settings()
    if stop:
        stopped = prefect_server.stop(settings)
        console.print(
            "Prefect server stopped" if stopped else "No Prefect server of this project runs"
        )
        return
    prefect_server.ensure(settings)
    console.print(
        f"Prefect UI on http://127.0.0.1:{settings.prefect_port} (it keeps running for the next "
        "commands; `canvass ui --stop` stops it)"
    )


@app.command()
def schedule(
    source: Annotated[str, typer.Option(help="Socrata resource URL.")] = "",
) -> None:
    """Serve the weekly cycle (Mondays 06:00: load the previous week, build, apply the retraining
    policy, score, monitor) until stopped."""
    from prefect import serve

    prepare_flows()
    from flows.cycle import weekly_deployment
    from flows.ingest import SOCRATA_URL, WEEKLY_CRON

    console.print(f"Serving deployment week/weekly (cron '{WEEKLY_CRON}'); Ctrl-C to stop")
    serve(weekly_deployment(source or SOCRATA_URL))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run any dbt command against the configured warehouse, e.g. `canvass dbt build -s staging`."""
    from warehouse.db import ensure_warehouse
    from warehouse.dbt import run_dbt

    invocation = run_dbt(list(ctx.args), ensure_warehouse())
    raise typer.Exit(0 if invocation.success else 1)
