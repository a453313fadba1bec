"""What the CLI shows a person: rich tables of models, batches and dbt runs, and the run summary."""

from __future__ import annotations

import csv
import json
import re
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.cli._app import API_PORT, DASHBOARD_PORT, DOCS_PORT, console, where_the_logs_are
from warehouse.settings import get_settings


class Format(StrEnum):
    """How a command prints its tables: for people, or for a program reading stdout."""

    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        help="table (for people), csv or json (for programs: only the data on stdout, notes on "
        "stderr; the cells as the table shows them, numbers as numbers in json).",
    ),
]

_INTEGER = re.compile(r"^-?\d{1,3}(,\d{3})*$|^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _plain(cell: Any) -> str:
    return Text.from_markup(cell).plain if isinstance(cell, str) else getattr(cell, "plain", "")


def _typed(text: str) -> Any:
    """A JSON value for a cell's text: numbers as numbers, empty and "—" as null."""
    if text in {"", "—"}:
        return None
    if _INTEGER.match(text):
        return int(text.replace(",", ""))
    if _DECIMAL.match(text):
        return float(text)
    return text


def table_records(table: Table) -> list[dict[str, str]]:
    """The rows of a rich table as plain text, keyed by column header."""
    headers = [_plain(c.header) for c in table.columns]
    columns = [[_plain(cell) for cell in c.cells] for c in table.columns]
    return [dict(zip(headers, row, strict=True)) for row in zip(*columns, strict=True)]


def emit(tables: list[Table], fmt: Format) -> None:
    """Print the tables for people (rich) or programs: csv (several tables: each after a
    `# title` line and a blank line between them) or json (one table: a list of rows; several: an
    object of lists keyed by title)."""
    if fmt is Format.table:
        for table in tables:
            console.print(table)
        return
    records = {_plain(t.title or f"table {i + 1}"): table_records(t) for i, t in enumerate(tables)}
    if fmt is Format.json:
        typed = {
            k: [{c: _typed(v) for c, v in r.items()} for r in rows] for k, rows in records.items()
        }
        value = next(iter(typed.values())) if len(typed) == 1 else typed
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        return
    for i, (title, rows) in enumerate(records.items()):
        if len(records) > 1:
            sys.stdout.write(("\n" if i else "") + f"# {title}\n")
        headers = [_plain(c.header) for c in tables[i].columns]
        writer = csv.DictWriter(sys.stdout, fieldnames=headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


_notes = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def note(message: str, fmt: Format) -> None:
    """A line for the person beside the data: on stdout with a table, on stderr with csv or json
    (so a program reading stdout gets only the data)."""
    (console if fmt is Format.table else _notes).print(message)


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


def leaderboard_table(rows: list[dict[str, Any]], title: str, whole: bool = False) -> Table:
    """Model groups and baselines, one row each, with whichever metric columns the rows carry;
    for people the rules that chose a group are shortened, `whole` (for programs) lists them."""
    shown = [c for c in _LEADERBOARD_COLUMNS if any(r.get(c) is not None for r in rows)]
    table = Table(title=title)
    # one line a model for people (the class and the first parameters; `group` tells them apart)
    table.add_column(
        "model", no_wrap=not whole, overflow="ellipsis", max_width=None if whole else 44
    )
    table.add_column("group")
    for column in shown:
        table.add_column(_LEADERBOARD_COLUMNS[column], justify="right")
    for r in rows:
        cells = []
        for column in shown:
            value = r.get(column)
            if column == "selected_by" and value and not whole:
                rules = str(value).split(", ")  # one name, or the first and how many more
                value = rules[0] if len(rules) == 1 else f"{rules[0]} +{len(rules) - 1} more"
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


_STATUS_STYLE = {"ok": "[green]ok", "breach": "[red bold]BREACH", "unknown": "[yellow]unknown"}


def _in_unit(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "seconds":
        return f"{value:,.0f} s"
    if unit == "days":
        return f"{value:.1f} days"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "deviations":
        return f"{value:.1f} sd"
    return f"{value:g}"


def sla_table(watched: dict[str, Any]) -> Table:
    """The SLA board of one monitor run, with its drift summary as the caption."""
    table = Table(title=f"Monitor: {watched['status']}")
    for column in ("SLA", "value", "threshold", "status", "measured on"):
        table.add_column(column, justify="right" if column in {"value", "threshold"} else "left")
    for r in watched["slas"]:
        bound = "<=" if r["upper"] else ">="
        table.add_row(
            r["name"],
            _in_unit(r["value"], r["unit"]),
            f"{bound} {_in_unit(r['threshold'], r['unit'])}",
            _STATUS_STYLE[r["status"]],
            r["detail"],
        )
    for f in watched.get("source_freshness", []):
        style = {"pass": "[green]ok", "warn": "[yellow]late"}.get(f["status"], "[red]stale")
        table.add_row(f"dbt source freshness {f['source']}", "", "", style, f["detail"])
    run = watched.get("scoring_run")
    if run:
        table.caption = (
            f"drift of the run of {run['as_of_date']} against the previous run: "
            f"{watched['drift_alerts']} alert(s), {watched['drift_warnings']} warning(s)"
            + (f" ({', '.join(watched['drifted'][:4])})" if watched["drifted"] else "")
            + f"; against the training rows: {watched['training_shift_alerts']} shift(s)"
            + "".join(
                f"; run of {a['as_of_date']} at {a['cut']}: realised {a['realised_precision']:.2f}"
                f", expected {a['expected_precision']:.2f}"
                for a in watched.get("estimate_alerts", [])[:3]
            )
        )
    return table


def print_summary(result: dict[str, Any], seconds: float) -> None:
    loaded, trained, scored = result["ingest"], result["train"], result["score"]
    console.rule("[bold green]Done")
    console.print(
        f"Loaded [bold]{loaded['rows_landed']:,}[/] rows: {loaded['rows_inserted']:,} new, "
        f"{loaded['rows_updated']:,} updated, {loaded['rows_unchanged']:,} unchanged, "
        f"{loaded['rows_duplicate']:,} duplicates, [bold]{loaded['rows_rejected']:,} rejected[/]"
        + (" (see meta.ingest_rejects)" if loaded["rows_rejected"] else "")
    )
    for other in result.get("ingest_others", []):
        console.print(
            f"  {other['dataset']}: {other['rows_landed']:,} rows, {other['rows_inserted']:,} new, "
            f"{other['rows_rejected']:,} rejected"
        )
    built = result["transform"]["statuses"]
    console.print("dbt build: " + ", ".join(f"{n} {s}" for s, n in sorted(built.items())))
    console.print(leaderboard_table(trained.get("leaderboard", []), "Models and baselines"))
    if trained.get("promoted", True):
        console.print(
            f"Selected and deployed: [bold]{trained.get('deployed_model_id')}[/] "
            f"({trained.get('selection_reason', '')})"
        )
    else:
        console.print(
            f"Proposed [bold]{trained.get('proposed_model_id')}[/] as the challenger "
            f"({trained.get('selection_reason', '')}); the champion "
            f"{trained.get('deployed_model_id')} keeps scoring until "
            f"[bold]canvass models promote {trained.get('proposed_model_id')}[/]"
        )
    if trained.get("days_earlier") is not None:
        console.print(
            "Visiting in score order reaches failing establishments "
            f"[bold]{trained['days_earlier']:.1f} days earlier[/] on average (Chicago's pilot: 7.44)."
        )
    console.print(
        f"Scored [bold]{scored['rows']:,}[/] establishments due as of {scored['as_of_date']}"
    )
    if "monitor" in result:
        console.print(sla_table(result["monitor"]))
    console.print(f"Finished in {seconds:,.0f} s. {where_the_logs_are()}\n")
    where = Table(title="Where to look", show_header=True)
    where.add_column("what")
    where.add_column("command")
    where.add_column("address")
    where.add_row("Dashboard", "canvass dashboard", f"http://127.0.0.1:{DASHBOARD_PORT}/ranking")
    where.add_row(
        "Monitoring", "canvass dashboard", f"http://127.0.0.1:{DASHBOARD_PORT}/monitoring"
    )
    where.add_row(
        "Models and fairness", "canvass dashboard", f"http://127.0.0.1:{DASHBOARD_PORT}/model"
    )
    where.add_row("REST API", "canvass api", f"http://127.0.0.1:{API_PORT}/docs")
    where.add_row("dbt docs (lineage)", "canvass docs", f"http://127.0.0.1:{DOCS_PORT}")
    where.add_row(
        "Prefect UI",
        "running (canvass ui --stop)",
        f"http://127.0.0.1:{get_settings().prefect_port}",
    )
    where.add_row("Model leaderboard", "canvass models", "reports/models.html")
    console.print(where)
    console.print(
        "(Commands run from the venv: [bold]source .venv/bin/activate[/] or .venv/bin/canvass.)"
    )


def print_batch_history(limit: int, fmt: Format = Format.table) -> None:
    from warehouse.batches import history
    from warehouse.db import connect
    from warehouse.runs import abandon_dead

    with connect(autocommit=True) as conn:
        abandon_dead(conn)  # a batch whose process died is not shown as running
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
    whole = fmt is not Format.table  # programs get whole ids and sources
    for r in rows:
        took = (
            ""
            if r["finished_at"] is None
            else f"{(r['finished_at'] - r['started_at']).total_seconds():.1f}s"
        )
        status = {
            "succeeded": "[green]succeeded",
            "failed": "[red]failed",
            "abandoned": "[yellow]abandoned",
        }.get(r["status"], r["status"])
        if r["abandoned_at"] is not None:
            status += f" (seen {r['abandoned_at']:%Y-%m-%d %H:%M})"
        table.add_row(
            str(r["batch_id"]) if whole else str(r["batch_id"])[:8],
            r["source"] if whole or len(r["source"]) <= 40 else "…" + r["source"][-39:],
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
    emit([table], fmt)
    for r in rows:
        if r["error"]:
            note(f"[red]{str(r['batch_id'])[:8]}[/]: {r['error']}", fmt)


def print_dbt_history(limit: int, fmt: Format = Format.table) -> None:
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
    emit([table], fmt)
    if not rows:
        note("No dbt runs recorded yet: run [bold]canvass transform[/].", fmt)


def replay_table(result: dict[str, Any]) -> Table:
    """One row per replayed week: the decision, the model that scored, drift and the board."""
    table = Table(title=f"Replay: {len(result['days'])} steps, {len(result['retrained'])} retrains")
    for column in ("as of", "decision", "scored", "drift alerts", "SLA breaches", "why"):
        table.add_column(
            column, justify="right" if column in {"scored", "drift alerts"} else "left"
        )
    for w in result["weeks"]:
        decision = w["decision"]
        table.add_row(
            str(w["as_of"]),
            "[yellow]retrain" if decision["retrain"] else "keep",
            f"{w['score']['rows']:,}",
            str(w["monitor"]["drift_alerts"]),
            str(w["monitor"]["breaches"]),
            decision["reason"],
        )
    return table


def audition_table(summary: Any) -> Table:
    """Each selection rule replayed over the windows, lowest mean regret first."""
    table = Table(
        title="Selection rules replayed window by window (regret: below the window's best)"
    )
    for name in ("rule", "in the experiment", "windows", "mean regret", "worst", "chose the best"):
        table.add_column(name, justify="left" if name in ("rule", "in the experiment") else "right")
    for r in summary.itertuples():
        table.add_row(
            r.rule,
            r.configured,
            str(r.windows),
            f"{r.mean_regret:.3f}",
            f"{r.max_regret:.3f}",
            f"{r.best_share:.0%}",
        )
    return table


def ablation_table(frame: Any) -> Table:
    """The latest ablation: each feature group added in turn, by label."""
    first = frame.iloc[0] if len(frame) else None
    title = "What each feature group buys (means over the windows)"
    if first is not None:
        title += f": {first['model']}"
        if first["data_until"] is not None:
            title += f", rows before {first['data_until']}"
    table = Table(title=title)
    for name in ("label", "+ step", "features", "windows", "prec@10%", "ROC AUC", "days earlier"):
        table.add_column(name, justify="left" if name in ("label", "+ step") else "right")
    previous: dict[str, Any] = {}
    for row in frame.itertuples():
        before = previous.get(row.label)

        def cell(value: Any, prior: Any, digits: int) -> str:
            if value is None or value != value:
                return "—"
            text = f"{value:.{digits}f}"
            if prior is not None and prior == prior:
                text += f" ({value - prior:+.{digits}f})"
            return text

        table.add_row(
            row.label,
            row.step,
            str(row.n_features),
            str(row.windows),
            cell(row.precision_at_10_pct, before and before.precision_at_10_pct, 3),
            cell(row.roc_auc, before and before.roc_auc, 3),
            cell(row.days_earlier, before and before.days_earlier, 2),
        )
        previous[row.label] = row
    return table
