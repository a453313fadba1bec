"""Commands that run the pipeline or one of its stages, and show what they did."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli._app import (
    OPTIONS,
    app,
    console,
    parse_date,
    parse_window,
    prepare_flows,
    where_the_logs_are,
)
from flows.cli.errors import explain
from flows.cli.output import (
    Format,
    FormatOption,
    ablation_table,
    print_batch_history,
    print_dbt_history,
    print_summary,
    replay_table,
)
from flows.sources.demo import DEMO_ESTABLISHMENTS, DEMO_REPLAY_WEEKS, DEMO_SEED
from warehouse.settings import get_settings

# The options the commands that train share.
ExperimentOption = Annotated[Path | None, typer.Option(help="Experiment YAML.")]
QuickOption = Annotated[bool, typer.Option(help="The experiment's quick profile.")]
UntilOption = Annotated[
    str | None, typer.Option(help="Use inspections before this date only (YYYY-MM-DD).")
]


@app.command()
def demo(
    establishments: Annotated[
        int, typer.Option(help="How many demo establishments.")
    ] = DEMO_ESTABLISHMENTS,
    seed: Annotated[int, typer.Option(help="Seed of the demo generator.")] = DEMO_SEED,
    replay_weeks: Annotated[
        int,
        typer.Option(
            min=0,
            help="Weeks replayed before the full run, so monitoring has a history (0: none).",
        ),
    ] = DEMO_REPLAY_WEEKS,
) -> None:
    """Generate demo data (a Chicago-style CSV export), replay its last weeks as production would
    have lived them, then run the whole pipeline on all of it."""
    import pandas as pd

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
    # The City's other datasets come from the generator itself, for the same establishments.
    from flows.ingest import default_other_sources

    demo_parts: dict[str, Any] = {
        "other_sources": default_other_sources("demo"),
        "demo_establishments": establishments,
        "demo_seed": seed,
    }
    if replay_weeks:
        # The full run scores as of the day after the newest inspection; the replay's weeks end a
        # week before it, so the current ranking is the full run's and the replayed rankings
        # have weeks of inspections since them to be graded on.
        newest = pd.to_datetime(frame["Inspection Date"], format="%m/%d/%Y", errors="coerce").max()
        scored_on = newest.date() + timedelta(days=1)
        _run_replay(
            source=str(path),
            start=scored_on - timedelta(days=7 * replay_weeks),
            end=scored_on - timedelta(days=7),
            quick=True,
            **demo_parts,
        )
    # The generated history ends years ago: the monitor measures ages as of its last scored day.
    _run_pipeline(source=str(path), monitor_on_data_clock=True, **demo_parts)


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
    first, last = parse_window(since, until)
    _run_pipeline(source=source, since=first, until=last, experiment=experiment, quick=quick)


def _run_pipeline(**parameters: Any) -> None:
    prepare_flows()
    from flows.pipeline import pipeline

    started = time.monotonic()
    console.rule("[bold]Canvass pipeline")
    try:
        result = pipeline(**parameters)
    except Exception as err:
        if OPTIONS.verbose:
            raise
        console.print(f"\n[red bold]The pipeline failed.[/] {explain(err) or err}")
        console.print("Fix the cause and run the same command again: loads are idempotent.")
        raise typer.Exit(1) from None
    print_summary(result, time.monotonic() - started)


@app.command()
def ingest(
    source: Annotated[
        str,
        typer.Option(
            help="demo, live (each dataset's City URL), a Socrata resource URL, or a file/URL."
        ),
    ] = "demo",
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            help="The dataset to load (repeatable): food_inspections, sanitation_complaints, "
            "burglaries, weather_daily, violation_counts. Default: every dataset the source has "
            "(demo and live), or food_inspections for a file or URL."
        ),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Rows on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Rows before (YYYY-MM-DD).")] = None,
    last_week: Annotated[bool, typer.Option(help="The previous Monday-to-Monday week.")] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Show the ingestion batches and exit.")
    ] = False,
    limit: Annotated[int, typer.Option(help="With --history: how many batches.")] = 30,
    fmt: FormatOption = Format.table,
) -> None:
    """Load one batch per dataset from a source into raw (or show the batch history)."""
    if history:
        print_batch_history(limit, fmt)
        return
    from warehouse.datasets import get_dataset

    first, last = parse_window(since, until, last_week=last_week)
    try:
        plan = ingest_plan(source, [get_dataset(d).name for d in dataset or []])
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--dataset") from None
    prepare_flows()
    from flows.ingest import ingest as ingest_flow
    from warehouse.db import connect
    from warehouse.migrate import migrate

    with connect() as conn:
        migrate(conn, get_settings())
    for name, where in plan:
        r = ingest_flow(source=where, since=first, until=last, last_week=last_week, dataset=name)
        console.print(
            f"{name} batch {r['batch_id']}: {r['rows_landed']:,} landed, "
            f"{r['rows_inserted']:,} new, {r['rows_updated']:,} updated, "
            f"{r['rows_unchanged']:,} unchanged, {r['rows_duplicate']:,} duplicates, "
            f"{r['rows_rejected']:,} rejected\nlanding file: {r['landing']}"
        )


def ingest_plan(source: str, datasets: list[str]) -> list[tuple[str, str]]:
    """(dataset, source) pairs to load: `demo` makes every dataset but the violation counts,
    `live` reads each dataset's City URL, a file or URL is one dataset (inspections by default)."""
    from flows.sources.demo import DEMO_DATASETS
    from warehouse.datasets import DATASETS

    if source == "demo":
        names = datasets or list(DEMO_DATASETS)
        missing = [n for n in names if n not in DEMO_DATASETS]
        if missing:
            raise ValueError(f"the demo makes no {', '.join(missing)}; load it from a file")
        return [(n, "demo") for n in names]
    if source == "live":
        names = datasets or [n for n, d in DATASETS.items() if d.socrata_url]
        offline = [n for n in names if not DATASETS[n].socrata_url]
        if offline:
            raise ValueError(f"{', '.join(offline)} has no live URL; load it from a file")
        return [(n, str(DATASETS[n].socrata_url)) for n in names]
    if len(datasets) > 1:
        raise ValueError("a file or URL holds one dataset: give one --dataset")
    return [(datasets[0] if datasets else "food_inspections", source)]


@app.command()
def transform(
    full_refresh: Annotated[
        bool, typer.Option(help="Rebuild incremental models from scratch.")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Show past dbt runs and their test results.")
    ] = False,
    limit: Annotated[int, typer.Option(help="With --history: how many runs.")] = 15,
    fmt: FormatOption = Format.table,
) -> None:
    """Build and test the warehouse with dbt (results kept in meta)."""
    if history:
        print_dbt_history(limit, fmt)
        return
    prepare_flows()
    from flows.transform import transform as transform_flow

    result = transform_flow(full_refresh=full_refresh)
    console.print(
        "dbt build: " + ", ".join(f"{n} {s}" for s, n in sorted(result["statuses"].items()))
    )


@app.command()
def train(
    experiment: ExperimentOption = None,
    quick: QuickOption = False,
    until: UntilOption = None,
) -> None:
    """Train the model grid with temporal cross-validation, audit, select and deploy."""
    cutoff = parse_date(until)
    prepare_flows()
    from flows.train import default_experiment
    from flows.train import train as train_flow

    result = train_flow(
        experiment=str(experiment or default_experiment()), quick=quick, until=cutoff
    )
    console.print(
        f"trained {result.get('models_trained', 0)} models, reused {result.get('models_reused', 0)}; "
        f"deployed {result.get('deployed_model_id')} ({result.get('selection_reason', '')})"
    )


@app.command()
def score() -> None:
    """Score the establishments due for inspection with the deployed model."""
    prepare_flows()
    from flows.score import score as score_flow

    result = score_flow()
    console.print(
        f"scored {result['rows']:,} establishments due as of {result['as_of_date']} with model "
        f"{result['model_id']}; the API and the dashboard now serve this ranking"
    )


@app.command()
def monitor(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when an SLA is breached (for cron and CI).")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Measure as of this date (YYYY-MM-DD), or `scored` for the newest scored date; "
            "default now."
        ),
    ] = None,
    experiment: Annotated[Path | None, typer.Option(help="Experiment YAML (thresholds).")] = None,
    slas: Annotated[Path | None, typer.Option(help="The SLA file (default slas.yml).")] = None,
) -> None:
    """Watch data, model and pipeline: drift, realised performance, the SLA board."""
    clock = None if as_of in (None, "scored") else parse_date(as_of)
    prepare_flows()
    from flows.cli.output import sla_table
    from flows.monitor import monitor as monitor_flow

    if as_of == "scored":
        from ml.observe import latest_run
        from warehouse.db import connect

        with connect() as conn:
            latest = latest_run(conn)
        clock = latest.as_of_date if latest else None
    watched = monitor_flow(
        as_of=clock,
        experiment=str(experiment) if experiment else None,
        sla_file=str(slas) if slas else None,
    )
    console.print(sla_table(watched))
    if check and watched["breaches"]:
        console.print(f"[red bold]{watched['breaches']} SLA(s) breached[/]")
        raise typer.Exit(1)


@app.command()
def replay(
    start: Annotated[str, typer.Option("--from", help="First as-of day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last as-of day at the latest (YYYY-MM-DD).")],
    every: Annotated[int, typer.Option(help="Days between steps.")] = 7,
    source: Annotated[
        str, typer.Option(help="demo, a Socrata resource URL, or an export file/URL.")
    ] = "demo",
    experiment: Annotated[Path | None, typer.Option(help="Experiment YAML.")] = None,
    quick: Annotated[bool, typer.Option(help="The experiment's quick profile.")] = False,
) -> None:
    """Walk history week by week as production would have: load what was known by each day,
    build, apply the retraining policy, score, monitor."""
    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    if every < 1:
        raise typer.BadParameter("--every must be at least 1 day")
    _run_replay(
        source=source,
        start=first,
        end=last,
        every_days=every,
        experiment=str(experiment) if experiment else None,
        quick=quick,
    )


def _run_replay(**parameters: Any) -> None:
    prepare_flows()
    from flows.cycle import replay as replay_flow
    from warehouse.db import connect
    from warehouse.migrate import migrate

    with connect() as conn:
        migrate(conn, get_settings())
    started = time.monotonic()
    console.rule("[bold]Canvass replay")
    try:
        result = replay_flow(**parameters)
    except Exception as err:
        if OPTIONS.verbose:
            raise
        console.print(f"\n[red bold]The replay failed.[/] {explain(err) or err}")
        console.print("Fix the cause and run the same command again: a replay converges.")
        raise typer.Exit(1) from None
    console.print(replay_table(result))
    console.print(f"Replayed in {time.monotonic() - started:,.0f} s. {where_the_logs_are()}")


@app.command()
def ablation(
    experiment: ExperimentOption = None,
    quick: QuickOption = False,
    until: UntilOption = None,
) -> None:
    """What each feature group buys: the groups added in turn, both labels (ml/ablation.py)."""
    from flows.train import default_experiment
    from ml import ablation as ablation_module
    from ml.config import load_experiment
    from ml.frames import training_frame
    from warehouse.db import connect
    from warehouse.migrate import migrate

    cutoff = parse_date(until)
    config = load_experiment(experiment or default_experiment(), "quick" if quick else None)
    with connect() as conn:
        migrate(conn, get_settings())
        frame = training_frame(conn, config, until=cutoff)
        console.print(
            f"ablation of {ablation_module.ablation_model(config).label()} on {len(frame):,} rows"
        )
        table = ablation_module.ablate(frame, config, progress=console.print)
        ablation_module.record(conn, table, config, str(cutoff) if cutoff else None)
        latest = ablation_module.latest(conn)
    console.print(ablation_table(latest))
