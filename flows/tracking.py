"""Each flow run recorded in `meta.flow_runs` under Prefect's run id, and runs whose process died
marked as such in both places: `abandoned` in the warehouse, `Crashed` in Prefect.

Subflows run without Prefect's heartbeat thread: Prefect 3.8's flow engine joins that thread when a
run ends, and the thread sleeps in 1 s steps, so every run ended up to 1 s late (a subflow doing
nothing took 1.07 s, 0.08 s without it). The top-level run keeps its heartbeat (the liveness of the
process the subflows share); a process that dies is marked by `abandon_dead`, subflows included."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from prefect.runtime import flow_run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from warehouse.runs import abandon_dead, recorded_run

log = logging.getLogger(__name__)

CRASH_MESSAGE = (
    "The process running this flow ended without reporting (killed, or its machine stopped)."
)


@contextmanager
def tracked_run(
    conn: psycopg.Connection, flow_name: str, parameters: dict[str, Any]
) -> Iterator[uuid.UUID]:
    """Record the current Prefect flow run for the block's duration (see `recorded_run`), after
    marking the runs whose process died; the subflows the block starts run without heartbeats."""
    dead = abandon_dead(conn)["flow_run"]
    if dead:
        log.warning("marked %d flow run(s) abandoned: their process died while running", len(dead))
        crash_in_prefect(dead)
    run_id = flow_run.get_id()
    with (
        recorded_run(conn, flow_name, parameters, uuid.UUID(run_id) if run_id else None) as rid,
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield rid


def crash_in_prefect(run_ids: list[uuid.UUID]) -> int:
    """Set Prefect's state of these runs to Crashed where it still shows them unfinished."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    crashed = 0
    with get_client(sync_client=True) as client:
        for run_id in run_ids:
            try:
                run = client.read_flow_run(run_id)
            except ObjectNotFound:  # recorded outside this Prefect server's database
                continue
            if run.state is not None and not run.state.is_final():
                client.set_flow_run_state(run_id, Crashed(message=CRASH_MESSAGE), force=True)
                crashed += 1
    return crashed
