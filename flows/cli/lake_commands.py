"""`canvass lake export|build|compare|publish`: the dbt project on Apache Spark (docs/scale-out.md)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.cli._app import console, lake_app
from flows.cli.output import Format, FormatOption, emit, note

# dbt's result line of a model, and of any node that did not pass: "12 of 235 OK created ..."
_SHOWN = re.compile(r"\d+ of \d+ (OK created|ERROR|FAIL|WARN)")


def _progress(line: str) -> None:
    if _SHOWN.search(line):
        console.print(f"[dim]›[/] {line.strip()}", highlight=False)


def _spark_target() -> Path:
    from warehouse import lake

    return lake.lake_dir() / "dbt-target"


@lake_app.command("export")
def lake_export() -> None:
    """Write the raw tables dbt reads to the lake as Parquet (CANVASS_LAKE_DIR, default .lake)."""
    from warehouse import lake
    from warehouse.db import connect

    with connect() as conn:
        exported = lake.export_raw(conn)
    for table in exported:
        console.print(
            f"raw.{table.table}: {table.rows:,} rows -> {table.path} ({table.seconds:.1f} s)"
        )


@lake_app.command("build")
def lake_build(
    export: Annotated[
        bool,
        typer.Option(help="Export the raw tables from Postgres first (`canvass lake export`)."),
    ] = False,
) -> None:
    """Build staging, intermediate, core and ML marts on Spark from the lake alone.

    `dbt build --target spark --selector lake`, on local[2] or CANVASS_SPARK_MASTER.
    """
    from warehouse import lake

    if export:
        lake_export()
    target = _spark_target()
    console.print("dbt build --target spark --selector lake (Spark starts first: about 15 s)")
    built = lake.build_on_spark(target, on_line=_progress)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(built.statuses.items()))
    console.print(f"Spark build: {summary or 'nothing ran'} in {built.seconds:.0f} s")
    console.print(
        f"dbt's log: {target / 'logs' / 'dbt.log'}; Spark's: {target / 'logs' / 'spark-driver.log'}"
    )
    if not built.success:
        for failure in built.failures:
            console.print(f"[red]{failure}[/]")
        raise typer.Exit(1)


def _last_build() -> Path:
    target = _spark_target()
    if not (target / "run_results.json").exists():
        raise typer.BadParameter("no Spark build yet: run `canvass lake build` first")
    return target


@lake_app.command("compare")
def lake_compare(fmt: FormatOption = Format.table) -> None:
    """Every table the last Spark build wrote against the same model's table on Postgres."""
    from warehouse import lake
    from warehouse.db import connect

    with connect() as conn:
        compared = lake.compare(conn, _last_build())
    table = Table(title="Spark against Postgres")
    for column in ("model", "Postgres rows", "Spark rows", "same rows"):
        table.add_column(column, justify="right" if "rows" in column else "left")
    for c in compared:
        table.add_row(
            c.model, f"{c.postgres_rows:,}", f"{c.spark_rows:,}",
            "yes" if c.equal else f"[red]no: {c.difference}[/]",
        )  # fmt: skip
    emit([table], fmt)
    unequal = [c.model for c in compared if not c.equal]
    if unequal:
        note(f"[red]{len(unequal)} of {len(compared)} tables differ: {', '.join(unequal)}[/]", fmt)
        raise typer.Exit(1)
    note(f"all {len(compared)} tables hold the same rows on both engines", fmt)


@lake_app.command("publish")
def lake_publish() -> None:
    """Replace the rows of Postgres's intermediate, core and ML tables with Spark's last build.

    One transaction: readers see the old tables or the new ones. Then `canvass train` and
    `canvass score` read what Spark built (`canvass transform` would rebuild them on Postgres).
    """
    from warehouse import lake
    from warehouse.db import connect

    target = _last_build()
    started = time.perf_counter()
    with connect() as conn:
        published = lake.publish(conn, target)
    for table in published:
        console.print(f"{table.table}: {table.rows:,} rows from Spark")
    console.print(
        f"{len(published)} tables published in {time.perf_counter() - started:.1f} s; "
        "next: `canvass train` (or `canvass score` with the deployed model)"
    )
