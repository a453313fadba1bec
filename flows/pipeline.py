"""Flow `pipeline`: ingest -> transform -> train -> score -> monitor, one parent run with five
subflows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows.ingest import default_other_sources, ingest, ingest_others
from flows.monitor import monitor
from flows.progress import PROGRESS
from flows.score import score
from flows.sources.demo import DEMO_ESTABLISHMENTS, DEMO_SEED
from flows.tracking import tracked_run
from flows.train import default_experiment, train
from flows.transform import transform
from warehouse.db import connect
from warehouse.migrate import migrate
from warehouse.settings import get_settings


@flow(name="pipeline")
def pipeline(
    source: str = "demo",
    since: date | None = None,
    until: date | None = None,
    experiment: Path | None = None,
    quick: bool = False,
    demo_establishments: int = DEMO_ESTABLISHMENTS,
    demo_seed: int = DEMO_SEED,
    monitor_on_data_clock: bool = False,
    other_sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The whole data product: load, build and test the warehouse, train and select, score, and
    watch it. `monitor_on_data_clock` measures the SLAs as of the scored date instead of now (the
    demo's generated history ends years ago). `other_sources` maps the City's other datasets to
    their sources (default: `flows.ingest.default_other_sources`)."""
    logger = get_run_logger()
    parameters = {
        "source": source,
        "since": since,
        "until": until,
        "experiment": experiment,
        "quick": quick,
    }
    others = default_other_sources(source) if other_sources is None else other_sources
    with connect() as conn:
        migrate(conn, get_settings())
        with tracked_run(conn, "pipeline", parameters):
            logger.info("stage 1/5: ingest from %s", source, extra=PROGRESS)
            loaded = ingest(
                source=source,
                since=since,
                until=until,
                demo_establishments=demo_establishments,
                demo_seed=demo_seed,
            )
            if others:
                logger.info("stage 1/5: ingest %s", ", ".join(others), extra=PROGRESS)
            loaded_others = ingest_others(
                others,
                since=since,
                until=until,
                demo_establishments=demo_establishments,
                demo_seed=demo_seed,
            )
            logger.info("stage 2/5: transform (dbt build)", extra=PROGRESS)
            built = transform()
            logger.info("stage 3/5: train, evaluate, audit and select models", extra=PROGRESS)
            trained = train(experiment=str(experiment or default_experiment()), quick=quick)
            logger.info("stage 4/5: score the establishments due for inspection", extra=PROGRESS)
            scored = score()
            logger.info("stage 5/5: monitor data, model and pipeline", extra=PROGRESS)
            watched = monitor(
                as_of=scored["as_of_date"] if monitor_on_data_clock else None,
                experiment=str(experiment or default_experiment()),
            )
    return {
        "ingest": loaded,
        "ingest_others": loaded_others,
        "transform": built,
        "train": trained,
        "score": scored,
        "monitor": watched,
    }
