"""`canvass models`: the leaderboard and report, and who decides which model scores
(`promote`, `rollback`, `history`; ml/governance.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.cli._app import app, console
from flows.cli.output import (
    Format,
    FormatOption,
    ablation_table,
    audition_table,
    emit,
    leaderboard_table,
    note,
)
from warehouse.settings import get_settings

models_app = typer.Typer(
    help="Print the model leaderboard (with baselines) and write the HTML report; promote, roll "
    "back and list the model versions.",
    invoke_without_command=True,
)
app.add_typer(models_app, name="models")

ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (recorded with who and when).", min=1)
]


@models_app.callback()
def models(
    context: typer.Context,
    report: Annotated[Path | None, typer.Option(help="Where to write the HTML report.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Print the model leaderboard (with baselines) and write the HTML report."""
    if context.invoked_subcommand is not None:
        return
    from ml.ablation import latest
    from ml.report import audition, latest_experiment, leaderboard, leaderboard_rows, write_html
    from warehouse.db import connect

    path = report or get_settings().reports_dir / "models.html"
    with connect() as conn:
        frame = leaderboard(conn)
        experiment_hash = latest_experiment(conn)
        replayed = audition(conn, experiment_hash) if experiment_hash else None
        ablations = latest(conn) if _has_table(conn, "ml.ablations") else None
        path.parent.mkdir(parents=True, exist_ok=True)
        write_html(conn, path)
    if frame.empty:
        note("No models yet: run [bold]canvass run[/] first.", fmt)
        raise typer.Exit(1)
    tables = [
        leaderboard_table(
            leaderboard_rows(frame),
            "Leaderboard (averaged over the test windows)",
            whole=fmt is not Format.table,
        )
    ]
    if replayed is not None and not replayed.empty:
        tables.append(audition_table(replayed))
    if ablations is not None and not ablations.empty:
        tables.append(ablation_table(ablations))
    emit(tables, fmt)
    if ablations is None or ablations.empty:
        note("No ablation yet: [bold]canvass ablation[/] measures what each source buys.", fmt)
    note(f"Report: {path}", fmt)


def _has_table(conn: Any, name: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", [name]).fetchone()[0]


ScoreOption = Annotated[
    bool,
    typer.Option(
        "--score/--no-score",
        help="Rank with the new champion now (as `canvass score`), or only record the change.",
    ),
]


def _serve_the_change(rescore: bool) -> None:
    """Rank with the new champion (the score flow publishes the delivery marts), or, without
    `rescore`, rebuild the delivery marts so the API and the dashboard name the champion."""
    if rescore:
        from flows.cli._app import prepare_flows

        prepare_flows()
        from flows.score import score

        result = score()
        console.print(
            f"scored {result['rows']:,} establishments due as of {result['as_of_date']} with the "
            "champion; the API and the dashboard serve this ranking"
        )
        return
    from flows.transform import DELIVERY
    from warehouse.dbt import run_dbt

    if not run_dbt(["build", "--quiet", "--select", DELIVERY]).success:
        console.print("[yellow]The delivery marts were not rebuilt[/]: run [bold]canvass score[/].")


def _governed(action: Any) -> Any:
    """Run a governance action; its refusal is one sentence and exit code 1."""
    from ml.governance import GovernanceError
    from warehouse.db import connect

    try:
        with connect() as conn:
            return action(conn)
    except GovernanceError as err:
        console.print(f"[red bold]Refused:[/] {err}.")
        raise typer.Exit(1) from None


@models_app.command()
def promote(
    model_id: Annotated[
        str, typer.Argument(help="The version's model id (`canvass models history`).")
    ],
    reason: ReasonOption = "approved",
    rescore: ScoreOption = True,
) -> None:
    """Make a proposed version the champion: the model that scores from the next run on."""
    from ml import governance

    who = governance.actor()
    version = _governed(lambda conn: governance.promote(conn, model_id, who, reason))
    console.print(
        f"[green]✓[/] version {version['version']} ({model_id}) is the champion "
        f"(by {who}: {reason})"
    )
    _serve_the_change(rescore)


@models_app.command()
def rollback(reason: ReasonOption = "rolled back", rescore: ScoreOption = True) -> None:
    """Return the champion to the one before it."""
    from ml import governance

    who = governance.actor()
    undone, back = _governed(lambda conn: governance.rollback(conn, who, reason))
    console.print(
        f"[green]✓[/] the champion is {back} again, instead of {undone} (by {who}: {reason})"
    )
    _serve_the_change(rescore)


@models_app.command()
def history(
    limit: Annotated[int, typer.Option(min=1, help="How many alias moves.")] = 20,
    fmt: FormatOption = Format.table,
) -> None:
    """The model versions with their aliases, and who moved which alias when and why."""
    from ml import governance
    from warehouse.db import connect

    with connect() as conn:
        versions = governance.versions(conn)
        moves = governance.history(conn, limit)
    if not versions and not moves:
        note("No model versions yet: run [bold]canvass run[/] (or `canvass train`).", fmt)
        raise typer.Exit(1)
    moves_table = Table(title="Alias moves (newest first)")
    for column in ("when", "alias", "action", "model", "by", "reason"):
        moves_table.add_column(column)
    for m in moves:
        moves_table.add_row(
            f"{m['happened_at']:%Y-%m-%d %H:%M}",
            m["alias"],
            m["action"],
            m["model_id"] or "(none)",
            m["actor"],
            m["reason"],
        )
    emit([_versions_table(versions), moves_table] if versions else [moves_table], fmt)


def _versions_table(versions: list[dict[str, Any]]) -> Table:
    table = Table(title="Model versions (newest first)")
    for column in ("version", "alias", "model", "rule", "registered", "description"):
        table.add_column(column, justify="right" if column == "version" else "left")
    for v in versions:
        table.add_row(
            str(v["version"]),
            v["alias"],
            v["model_id"],
            v["rule"],
            f"{v['registered_at']:%Y-%m-%d %H:%M}",
            v["description"],
        )
    return table


@models_app.command()
def card(
    model_id: Annotated[
        str | None, typer.Argument(help="A version's model id (default: the champion).")
    ] = None,
) -> None:
    """Print a model version's model card (default: the champion's)."""
    from rich.markdown import Markdown

    from ml import governance
    from warehouse.db import connect

    with connect() as conn:
        text = governance.card_of(conn, model_id)
    if text is None:
        which = model_id or "the champion"
        console.print(
            f"No model card for {which}: cards are written when a selection proposes a model."
        )
        raise typer.Exit(1)
    console.print(Markdown(text))
