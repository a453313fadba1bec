"""`canvass`: the command line a person uses. Output is for people (rich); work is in the flows."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.sources.demo import DEMO_ESTABLISHMENTS, DEMO_SEED
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


_LEADERBOARD_COLUMNS = {
    "precision_at_5": "prec@5%",
    "precision_at_10": "prec@10%",
    "precision_at_20": "prec@20%",
    "recall_at_10": "recall@10%",
    "roc_auc": "ROC AUC",
    "days_earlier": "days earlier",
    "parity_share": "parity share",
    "selected_by": "selected by",
}


def _leaderboard_table(rows: list[dict[str, Any]], title: str) -> Table:
    """Model groups and baselines, one row each, with whichever metric columns the rows carry."""
    shown = [c for c in _LEADERBOARD_COLUMNS if any(r.get(c) is not None for r in rows)]
    table = Table(title=title)
    table.add_column("model")
    table.add_column("group")
    for column in shown:
        table.add_column(_LEADERBOARD_COLUMNS[column], justify="right")
    for r in rows:
        cells = []
        for column in shown:
            value = r.get(column)
            if isinstance(value, float):
                cells.append("—" if value != value else f"{value:.3f}")  # NaN has no value
            else:
                cells.append("" if value is None else str(value))
        baseline = r.get("kind") == "baseline"
        table.add_row(
            f"[italic]{r['algorithm']} (baseline)[/]" if baseline else r["algorithm"],
            "" if baseline else str(r["model_group_id"])[:8],
            *cells,
        )
    return table


def _ui_answers(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


# --------------------------------------------------------------------------- pipeline


@app.command()
def demo(
    establishments: Annotated[
        int, typer.Option(help="How many demo establishments.")
    ] = DEMO_ESTABLISHMENTS,
    seed: Annotated[int, typer.Option(help="Seed of the demo generator.")] = DEMO_SEED,
) -> None:
    """Generate demo data (a Chicago-style CSV export) and run the whole pipeline on it."""
    from flows.sources.demo import generate_inspections, write_export_csv

    settings = get_settings()
    path = (
        settings.project_dir
        / "data"
        / "demo"
        / f"food_inspections_demo_{establishments}_{seed}.csv"
    )
    with console.status("generating demo inspections"):
        frame = generate_inspections(n_establishments=establishments, seed=seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_export_csv(frame, path)
    console.print(f"[green]✓[/] {len(frame):,} demo inspections written to {path}")
    _run_pipeline(source=str(path))


@app.command()
def run(
    source: Annotated[
        str, typer.Option(help="demo, a Socrata resource URL, or an export file/URL.")
    ] = "demo",
    since: Annotated[
        str | None, typer.Option(help="Inspections on or after this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Inspections before this date (YYYY-MM-DD).")
    ] = None,
    experiment: Annotated[Path | None, typer.Option(help="Experiment YAML.")] = None,
    quick: Annotated[
        bool, typer.Option(help="The experiment's quick profile (fewer windows).")
    ] = False,
) -> None:
    """Run the pipeline: ingest, transform (dbt build), train and select, score."""
    _run_pipeline(
        source=source, since=_date(since), until=_date(until), experiment=experiment, quick=quick
    )


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2024-01-31") from None


def _run_pipeline(**parameters: Any) -> None:
    from flows.pipeline import pipeline

    started = time.monotonic()
    console.rule("[bold]Canvass pipeline")
    try:
        result = pipeline(**parameters)
    except Exception as err:
        console.print(f"\n[red bold]The pipeline failed:[/] {err}")
        console.print("Fix the cause and run the same command again: loads are idempotent.")
        raise typer.Exit(1) from None
    _print_summary(result, time.monotonic() - started)


def _print_summary(result: dict[str, Any], seconds: float) -> None:
    loaded, trained, scored = result["ingest"], result["train"], result["score"]
    console.rule("[bold green]Done")
    console.print(
        f"Loaded [bold]{loaded['rows_landed']:,}[/] rows: {loaded['rows_inserted']:,} new, "
        f"{loaded['rows_updated']:,} updated, {loaded['rows_unchanged']:,} unchanged, "
        f"{loaded['rows_duplicate']:,} duplicates, [bold]{loaded['rows_rejected']:,} rejected[/]"
        + (" (see meta.ingest_rejects)" if loaded["rows_rejected"] else "")
    )
    built = result["transform"]["statuses"]
    console.print("dbt build: " + ", ".join(f"{n} {s}" for s, n in sorted(built.items())))
    console.print(_leaderboard_table(trained.get("leaderboard", []), "Models and baselines"))
    console.print(
        f"Selected and deployed: [bold]{trained.get('deployed_model_id')}[/] "
        f"({trained.get('selection_reason', '')})"
    )
    if trained.get("days_earlier") is not None:
        console.print(
            "Visiting in score order reaches failing establishments "
            f"[bold]{trained['days_earlier']:.1f} days earlier[/] on average (Chicago's pilot: 7.44)."
        )
    console.print(
        f"Scored [bold]{scored['rows']:,}[/] establishments due as of {scored['as_of_date']}"
    )
    console.print(f"Finished in {seconds:,.0f} s.\n")
    where = Table(title="Where to look", show_header=True)
    where.add_column("what")
    where.add_column("command")
    where.add_column("address")
    where.add_row("Dashboard", "canvass dashboard", f"http://127.0.0.1:{DASHBOARD_PORT}/ranking")
    where.add_row("REST API", "canvass api", f"http://127.0.0.1:{API_PORT}/docs")
    where.add_row("dbt docs (lineage)", "canvass docs", f"http://127.0.0.1:{DOCS_PORT}")
    where.add_row("Prefect UI", "canvass ui", f"http://127.0.0.1:{UI_PORT}")
    where.add_row("Model leaderboard", "canvass models", "reports/models.html")
    console.print(where)
    console.print(
        "(Commands run from the venv: [bold]source .venv/bin/activate[/] or .venv/bin/canvass.)"
    )


@app.command()
def ingest(
    source: Annotated[
        str, typer.Option(help="demo, a Socrata resource URL, or an export file/URL.")
    ] = "demo",
    since: Annotated[str | None, typer.Option(help="Inspections on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Inspections before (YYYY-MM-DD).")] = None,
    last_week: Annotated[bool, typer.Option(help="The previous Monday-to-Monday week.")] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Show the ingestion batches and exit.")
    ] = False,
    limit: Annotated[int, typer.Option(help="With --history: how many batches.")] = 30,
) -> None:
    """Load one batch from a source into raw (or show the batch history)."""
    if history:
        _print_history(limit)
        return
    from flows.ingest import ingest as ingest_flow
    from warehouse.db import connect
    from warehouse.migrate import migrate

    with connect() as conn:
        migrate(conn, get_settings())
    r = ingest_flow(source=source, since=_date(since), until=_date(until), last_week=last_week)
    console.print(
        f"batch {r['batch_id']}: {r['rows_landed']:,} landed, {r['rows_inserted']:,} new, "
        f"{r['rows_updated']:,} updated, {r['rows_unchanged']:,} unchanged, "
        f"{r['rows_duplicate']:,} duplicates, {r['rows_rejected']:,} rejected\nlanding file: {r['landing']}"
    )


def _print_history(limit: int) -> None:
    from warehouse.batches import history
    from warehouse.db import connect

    with connect() as conn:
        rows = history(conn, limit)
    table = Table(title="Ingestion batches (newest first)")
    for col in (
        "batch",
        "source",
        "started",
        "took",
        "by",
        "status",
        "landed",
        "new",
        "upd",
        "same",
        "dup",
        "rejected",
    ):
        table.add_column(
            col,
            justify="right"
            if col in {"landed", "new", "upd", "same", "dup", "rejected", "took"}
            else "left",
        )
    for r in rows:
        took = (
            ""
            if r["finished_at"] is None
            else f"{(r['finished_at'] - r['started_at']).total_seconds():.1f}s"
        )
        status = {"succeeded": "[green]succeeded", "failed": "[red]failed"}.get(
            r["status"], r["status"]
        )
        table.add_row(
            str(r["batch_id"])[:8],
            r["source"] if len(r["source"]) <= 40 else "…" + r["source"][-39:],
            r["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
            took,
            f"{r['run_by']}@{r['host']}",
            status,
            *(
                f"{r[k]:,}" if r[k] is not None else ""
                for k in (
                    "rows_landed",
                    "rows_inserted",
                    "rows_updated",
                    "rows_unchanged",
                    "rows_duplicate",
                    "rows_rejected",
                )
            ),
        )
    console.print(table)
    for r in rows:
        if r["error"]:
            console.print(f"[red]{str(r['batch_id'])[:8]}[/]: {r['error']}")


@app.command()
def transform(
    full_refresh: Annotated[
        bool, typer.Option(help="Rebuild incremental models from scratch.")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Show past dbt runs and their test results.")
    ] = False,
    limit: Annotated[int, typer.Option(help="With --history: how many runs.")] = 15,
) -> None:
    """Build and test the warehouse with dbt (results kept in meta)."""
    if history:
        _print_dbt_history(limit)
        return
    from flows.transform import transform as transform_flow

    result = transform_flow(full_refresh=full_refresh)
    console.print(
        "dbt build: " + ", ".join(f"{n} {s}" for s, n in sorted(result["statuses"].items()))
    )


def _print_dbt_history(limit: int) -> None:
    from warehouse.db import connect
    from warehouse.dbt import invocation_history

    with connect() as conn:
        rows = invocation_history(conn, limit)
    table = Table(title="dbt runs (newest first)")
    columns = ("finished", "command", "ok", "seconds", "models", "tests passed", "failed", "warned")
    for col in columns:
        table.add_column(col, justify="left" if col in {"finished", "command", "ok"} else "right")
    for r in rows:
        table.add_row(
            r["finished_at"].strftime("%Y-%m-%d %H:%M:%S"),
            r["command"],
            "[green]yes" if r["success"] else "[red]no",
            f"{r['elapsed_seconds'] or 0:.1f}",
            str(r["models"]),
            str(r["tests_passed"]),
            str(r["tests_failed"]),
            str(r["tests_warned"]),
        )
    console.print(table)
    if not rows:
        console.print("No dbt runs recorded yet: run [bold]canvass transform[/].")


@app.command()
def train(
    experiment: Annotated[Path | None, typer.Option(help="Experiment YAML.")] = None,
    quick: Annotated[bool, typer.Option(help="The experiment's quick profile.")] = False,
    until: Annotated[
        str | None, typer.Option(help="Use inspections before this date only (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Train the model grid with temporal cross-validation, audit, select and deploy."""
    from flows.pipeline import default_experiment
    from flows.train import train as train_flow

    result = train_flow(
        experiment=str(experiment or default_experiment()), quick=quick, until=_date(until)
    )
    console.print(
        f"trained {result.get('models_trained', 0)} models, reused {result.get('models_reused', 0)}; "
        f"deployed {result.get('deployed_model_id')} ({result.get('selection_reason', '')})"
    )


@app.command()
def score() -> None:
    """Score the establishments due for inspection with the deployed model."""
    from flows.score import score as score_flow

    console.print(score_flow())


@app.command()
def models(
    report: Annotated[Path | None, typer.Option(help="Where to write the HTML report.")] = None,
) -> None:
    """Print the model leaderboard (with baselines) and write the HTML report."""
    from ml.report import leaderboard, leaderboard_rows, write_html
    from warehouse.db import connect

    settings = get_settings()
    path = report or settings.reports_dir / "models.html"
    with connect() as conn:
        frame = leaderboard(conn)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_html(conn, path)
    if frame.empty:
        console.print("No models yet: run [bold]canvass run[/] first.")
        raise typer.Exit(1)
    rows = leaderboard_rows(frame)
    console.print(_leaderboard_table(rows, "Leaderboard (averaged over the test windows)"))
    console.print(f"Report: {path}")


# --------------------------------------------------------------------------- servers


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
    """Serve the Bokeh dashboard of ranked establishments."""
    from dashboards import serve

    console.print(f"Dashboard on http://{host}:{port}/ranking")
    serve(port=port, address=host, show=show)


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port.")] = DOCS_PORT,
    generate_only: Annotated[bool, typer.Option(help="Build the site and exit.")] = False,
) -> None:
    """Generate the dbt docs site (lineage with exposures) and serve it."""
    from warehouse.db import ensure_warehouse
    from warehouse.dbt import run_dbt

    settings = ensure_warehouse()
    with console.status("dbt docs generate"):
        invocation = run_dbt(["docs", "generate"], settings)
    if not invocation.success:
        console.print("[red]dbt docs generate failed[/]: run [bold]canvass run[/] first?")
        raise typer.Exit(1)
    site = settings.dbt_target_dir
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
def ui(port: Annotated[int, typer.Option(help="Port.")] = UI_PORT) -> None:
    """Start the Prefect UI over this project's flow runs."""
    console.print(f"Prefect UI on http://127.0.0.1:{port} (Ctrl-C to stop)")
    prefect = Path(sys.executable).with_name("prefect")
    env = os.environ | {
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",  # the UI asks this address, not --port
        "PREFECT_SERVER_API_PORT": str(port),
    }
    subprocess.run(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        check=False,
        env=env,
    )


@app.command()
def schedule(
    source: Annotated[str, typer.Option(help="Socrata resource URL.")] = "",
) -> None:
    """Serve the weekly incremental load (Mondays 06:00, the previous week) until stopped."""
    from prefect import serve

    from flows.ingest import SOCRATA_URL, WEEKLY_CRON, weekly_deployment

    console.print(f"Serving deployment ingest-weekly (cron '{WEEKLY_CRON}'); Ctrl-C to stop")
    serve(weekly_deployment(source or SOCRATA_URL))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run any dbt command against the configured warehouse, e.g. `canvass dbt build -s staging`."""
    from warehouse.db import ensure_warehouse
    from warehouse.dbt import run_dbt

    invocation = run_dbt(list(ctx.args), ensure_warehouse())
    raise typer.Exit(0 if invocation.success else 1)


# --------------------------------------------------------------------------- warehouse


@warehouse_app.command("start")
def warehouse_start() -> None:
    """Start the embedded PostgreSQL (and apply migrations)."""
    from warehouse import embedded
    from warehouse.db import connect
    from warehouse.migrate import migrate

    settings = get_settings()
    if not settings.embedded:
        console.print(
            f"DATABASE_URL is set: using {settings.connection.host}:{settings.connection.port}, nothing to start."
        )
    else:
        console.print(embedded.start(settings).describe())
    with connect(settings) as conn:
        applied = migrate(conn, settings)
    console.print(f"migrations applied now: {', '.join(applied) or 'none (up to date)'}")


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded PostgreSQL."""
    from warehouse import embedded

    console.print(embedded.stop(get_settings()).describe())


@warehouse_app.command("status")
def warehouse_status() -> None:
    """Is the warehouse up, and where is it?"""
    from warehouse import embedded

    settings = get_settings()
    if not settings.embedded:
        c = settings.connection
        console.print(f"external PostgreSQL {c.host}:{c.port}/{c.database} (DATABASE_URL)")
        return
    console.print(embedded.status(settings).describe())


@warehouse_app.command("psql")
def warehouse_psql() -> None:
    """Open psql on the warehouse (the system psql, or the one inside pgserver)."""
    import shutil

    from warehouse.db import ensure_warehouse

    settings = ensure_warehouse()
    psql = shutil.which("psql")
    if psql is None:
        from pgserver._commands import POSTGRES_BIN_PATH

        psql = str(POSTGRES_BIN_PATH / "psql")
    os.execv(psql, [psql, settings.dsn])


@warehouse_app.command("migrate")
def warehouse_migrate() -> None:
    """Apply pending migrations (raw, meta, ml, monitoring)."""
    from warehouse.db import connect
    from warehouse.migrate import migrate

    with connect() as conn:
        applied = migrate(conn, get_settings())
    console.print(f"migrations applied now: {', '.join(applied) or 'none (up to date)'}")


def main() -> None:
    """The console script: known failures end with one clear sentence, not a traceback."""
    import psycopg

    from warehouse.embedded import WarehouseError

    try:
        app()
    except WarehouseError as err:
        console.print(f"[red bold]Warehouse:[/] {err}")
        sys.exit(1)
    except psycopg.OperationalError as err:
        console.print(
            f"[red bold]Cannot reach the database:[/] {str(err).strip()}\n"
            "Is DATABASE_URL right? Without it, `canvass warehouse start` starts the embedded one."
        )
        sys.exit(1)
