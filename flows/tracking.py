"""Each flow run recorded in `meta.flow_runs` under Prefect's run id, and runs whose process died
marked as such in both places: `abandoned` in the warehouse, `Crashed` in Prefect."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from prefect.runtime import flow_run

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
    marking the runs whose process died."""
    dead = abandon_dead(conn)["flow_run"]
    if dead:
        log.warning("marked %d flow run(s) abandoned: their process died while running", len(dead))
        crash_in_prefect(dead)
    run_id = flow_run.get_id()
    with recorded_run(conn, flow_name, parameters, uuid.UUID(run_id) if run_id else None) as rid:
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
