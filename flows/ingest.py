"""Flow `ingest`: source -> immutable Parquet landing batch -> `raw` (COPY, validate, upsert).

Every dataset of `warehouse.datasets` (inspections, 311 sanitation complaints, burglaries, daily
weather, violation counts) goes through this one flow, the dataset its parameter.

A batch is one run's fetch. Its lineage row in `meta.ingest_batches` is written before anything is
fetched; the load, the batch's outcome and the watermark commit together, so a run that dies at
any point can simply be run again and converges to the same `raw` (and the next run marks the dead
one's batch `abandoned`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.states import State

from flows.sources.demo import DEMO_ESTABLISHMENTS, DEMO_SEED
from flows.sources.files import ExportFormatError
from flows.sources.socrata import SourceRequestRejected, SourceUnavailable
from flows.tracking import tracked_run
from warehouse import batches
from warehouse.datasets import FOOD_INSPECTIONS, Dataset, get_dataset
from warehouse.db import connect
from warehouse.landing import LandedFile
from warehouse.load import LoadResult
from warehouse.settings import get_settings

SOCRATA_URL = FOOD_INSPECTIONS.socrata_url


@dataclass(frozen=True)
class Window:
    """Inspection dates to keep, [since, until); None leaves that side open."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ValueError(f"empty window: until {self.until} is not after since {self.since}")


@dataclass(frozen=True)
class Landed:
    """What landing hands the load: the file, and the newest `:updated_at` the fetch saw."""

    file: LandedFile
    max_updated_at: datetime | None = None


@dataclass
class Fetch:
    """What a source hands the flow: frames of canonical strings, and a watermark when known."""

    name: str
    frames: Iterator[pd.DataFrame]
    state: dict[str, Any] = field(default_factory=dict)


def source_kind(source: str) -> str:
    """`demo`, `socrata` (a SODA resource URL) or `file` (a path or any fsspec URL)."""
    if source == "demo":
        return "demo"
    if source.startswith(("http://", "https://")) and "/resource/" in source:
        return "socrata"
    return "file"


def _within(
    frames: Iterator[pd.DataFrame],
    since: date | None,
    until: date | None,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> Iterator[pd.DataFrame]:
    """Keep rows dated in [since, until); rows whose date does not parse go on to be rejected."""
    if (since is not None or until is not None) and not dataset.event_date:
        raise ValueError(f"dataset {dataset.name} has no event date: --since/--until do not apply")
    for frame in frames:
        if since is None and until is None:
            yield frame
            continue
        dates = pd.to_datetime(frame[dataset.event_date], errors="coerce", format="mixed").dt.date
        unparsed = dates.isna()
        inside = pd.Series(True, index=frame.index)
        if since is not None:
            inside &= ~unparsed & (dates >= since)
        if until is not None:
            inside &= ~unparsed & (dates < until)
        yield frame[unparsed | inside]


def open_source(
    source: str,
    since: date | None,
    until: date | None,
    updated_since: datetime | None,
    dataset: Dataset = FOOD_INSPECTIONS,
    **demo: Any,
) -> Fetch:
    kind = source_kind(source)
    if kind == "demo":
        from flows.sources.demo import demo_dataset_rows

        rows = demo_dataset_rows(dataset.name, **demo)
        return Fetch("demo", _within(iter([rows]), since, until, dataset))
    if kind == "socrata":
        from flows.sources import socrata

        pages = socrata.SocrataPages(
            source,
            since=since,
            until=until,
            updated_since=updated_since,
            app_token=get_settings().socrata_app_token,
            max_wait_s=get_settings().socrata_max_wait_s,
            dataset=dataset,
        )
        return Fetch(source, iter(pages), state={"pages": pages})
    from flows.sources.files import read_export

    return Fetch(
        f"file:{source}", _within(read_export(source, dataset=dataset), since, until, dataset)
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How a source's fetch is retried by the flow (on top of what its client does itself)."""

    retries: int
    delays_s: tuple[float, ...]
    bound: str  # the total time a failing fetch can take, as the docs state it


# One retry policy per kind of source (docs/ingestion-sources.md, "When the source fails").
RETRY_POLICIES = {
    # The client retries each page itself (backoff with jitter, Retry-After honoured) for up to
    # CANVASS_SOCRATA_MAX_WAIT_S; retrying that whole cycle again would multiply the wait.
    "socrata": RetryPolicy(0, (), "CANVASS_SOCRATA_MAX_WAIT_S (180 s) per page"),
    # A file (local or fsspec URL) is read again once, 5 s later, unless the error is deterministic.
    "file": RetryPolicy(1, (5.0,), "two reads of the file and 5 s"),
    "demo": RetryPolicy(0, (), "one generation"),
}

# Failures that a retry cannot mend: the same file, read again, fails the same way; a source that
# stayed down for its whole retry budget, or refused the request itself.
DETERMINISTIC = (
    FileNotFoundError,
    IsADirectoryError,
    PermissionError,
    ExportFormatError,
    SourceUnavailable,
    SourceRequestRejected,
)


def worth_retrying(task: object, task_run: object, state: State) -> bool:
    """Prefect's retry condition for fetches: retry what may pass next time, not a missing or
    unreadable file, nor a source that has already used up its own retries."""
    error = state.data if isinstance(state.data, BaseException) else None
    if error is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as raised:  # noqa: BLE001 - we only classify it
            error = raised
    return not isinstance(error, DETERMINISTIC)


@task(retry_condition_fn=worth_retrying)
def land(batch: batches.Batch, source: str, window: Window, demo: dict[str, Any]) -> Landed:
    """Fetch from the source and write the batch's Parquet file (a retry writes it afresh)."""
    fetch = open_source(
        source, window.since, window.until, batch.updated_since, batch.contract, **demo
    )
    landed = batches.land(batch, fetch.frames)
    pages = fetch.state.get("pages")
    return Landed(landed, getattr(pages, "max_updated_at", None))


@task
def load(batch: batches.Batch, landed: Landed) -> LoadResult:
    """Load the landed file into raw (one transaction; see warehouse.batches.load_landed_batch)."""
    return batches.load(batch, landed.file, landed.max_updated_at)


def previous_week(today: date) -> tuple[date, date]:
    """Monday to Monday of the week before `today`'s week."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday


@flow(name="ingest", log_prints=False)
def ingest(
    source: str = "demo",
    since: date | None = None,
    until: date | None = None,
    last_week: bool = False,
    demo_establishments: int = DEMO_ESTABLISHMENTS,
    demo_seed: int = DEMO_SEED,
    dataset: str = FOOD_INSPECTIONS.name,
) -> dict[str, Any]:
    """Fetch one batch of `dataset` from `source` (demo, a Socrata resource URL, or an export file)
    into raw.

    Without `since`/`until`, a Socrata source continues from its watermark (records updated since
    the last load); `last_week` loads the previous Monday-to-Monday week, as the weekly schedule does.
    """
    logger = get_run_logger()
    contract = get_dataset(dataset)
    kind = source_kind(source)
    if last_week:
        since, until = previous_week(datetime.now(UTC).date())
    window = Window(since, until)  # refuses an empty window before anything is recorded
    parameters: dict[str, Any] = {
        "source": source,
        "since": since,
        "until": until,
        "kind": kind,
        "dataset": contract.name,
    }
    demo = {}
    if kind == "demo":
        parameters |= {"demo_establishments": demo_establishments, "demo_seed": demo_seed}
        demo = {"n_establishments": demo_establishments, "seed": demo_seed}
    incremental = kind == "socrata" and not (since or until)
    with (
        connect(autocommit=True) as conn,
        tracked_run(conn, "ingest", parameters),
        batches.running(source, parameters, incremental=incremental, dataset=contract) as batch,
    ):
        logger.info(
            "batch %s of %s from %s (since=%s until=%s updated_since=%s)",
            batch.batch_id,
            contract.name,
            source,
            since,
            until,
            batch.updated_since,
        )
        policy = RETRY_POLICIES[kind]
        fetch_and_land = land.with_options(
            retries=policy.retries, retry_delay_seconds=list(policy.delays_s)
        )
        landed = fetch_and_land(batch, source, window, demo)
        logger.info("landed %s rows in %s", landed.file.rows, landed.file.url)
        counts = load(batch, landed)
    logger.info(
        "loaded batch %s: %s inserted, %s updated, %s unchanged, %s duplicates, %s rejected",
        batch.batch_id,
        counts.rows_inserted,
        counts.rows_updated,
        counts.rows_unchanged,
        counts.rows_duplicate,
        counts.rows_rejected,
    )
    return {
        "batch_id": str(batch.batch_id),
        "dataset": contract.name,
        "landing": landed.file.url,
        **counts.as_dict(),
    }


def default_other_sources(source: str) -> dict[str, str]:
    """The City's other datasets that go with an inspections source: the demo's own for `demo`,
    each dataset's live URL for the live inspections, none for a file (`canvass ingest --dataset`
    loads them from theirs)."""
    from flows.sources.demo import DEMO_DATASETS
    from warehouse.datasets import DATASETS

    if source == "demo":
        return {name: "demo" for name in DEMO_DATASETS if name != FOOD_INSPECTIONS.name}
    if source == SOCRATA_URL:
        return {
            name: str(d.socrata_url)
            for name, d in DATASETS.items()
            if d.socrata_url and name != FOOD_INSPECTIONS.name
        }
    return {}


def ingest_others(
    others: dict[str, str],
    since: date | None = None,
    until: date | None = None,
    demo_establishments: int = DEMO_ESTABLISHMENTS,
    demo_seed: int = DEMO_SEED,
) -> list[dict[str, Any]]:
    """One batch of each other dataset from its source, for the same window; a dataset without
    an event date (the violation counts) is loaded whole, and only when there is no window."""
    loaded = []
    for name, where in others.items():
        if (since or until) and not get_dataset(name).event_date:
            continue
        loaded.append(
            ingest(
                source=where,
                since=since,
                until=until,
                dataset=name,
                demo_establishments=demo_establishments,
                demo_seed=demo_seed,
            )
        )
    return loaded


WEEKLY_CRON = "0 6 * * 1"  # Mondays 06:00: the week that just ended (flows/cycle.py serves it)
