"""A run or batch whose process is killed is marked `abandoned` by the next one, which tells it from
a live one by its liveness lock; Prefect's record of a killed flow run becomes Crashed
(hardening finding 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from warehouse import batches
from warehouse.runs import abandon_dead, recorded_run

# Starts a batch and a flow run, says their ids, and waits to be killed.
_CHILD = """
import sys, time, psycopg
from warehouse import batches, runs
with batches.running("killed-test", {}, incremental=False) as batch:
    with psycopg.connect(sys.argv[1], autocommit=True) as conn, \\
            runs.recorded_run(conn, "killed-test", {}) as run_id:
        print(batch.batch_id, run_id, flush=True)
        time.sleep(600)
"""


def _started_child(warehouse_url: str) -> tuple[subprocess.Popen[str], uuid.UUID, uuid.UUID]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, warehouse_url],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    line = child.stdout.readline() if child.stdout else ""
    assert line, "the child did not start its batch"
    batch_id, run_id = (uuid.UUID(part) for part in line.split())
    return child, batch_id, run_id


def _backends(conn: psycopg.Connection) -> set[int]:
    return {
        row[0]
        for row in conn.execute(
            "select pid from pg_stat_activity where datname = current_database()"
        ).fetchall()
    }


def _wait_for_backends_to_end(conn: psycopg.Connection, before: set[int]) -> None:
    """Wait until the server has ended the sessions a killed child opened: its backends exit a
    moment after the child (a busy machine made that moment visible), and their locks with them."""
    for _ in range(300):
        if _backends(conn) <= before:
            return
        time.sleep(0.05)
    raise AssertionError(f"the killed child's sessions still run: {_backends(conn) - before}")


def _status(conn: psycopg.Connection, table: str, key: str, value: uuid.UUID) -> tuple:
    return conn.execute(
        f"select status, abandoned_at is not null, error from {table} where {key} = %s",  # noqa: S608
        [value],
    ).fetchone()


@pytest.fixture
def live_batch(warehouse_url: str) -> Iterator[uuid.UUID]:
    """A batch this process is running on a connection of its own; its id hashes to a negative
    lock key, the case where the key's cast to pg_locks' unsigned `objid` could go wrong."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        batch_id = uuid.uuid4()
        while conn.execute("select hashtext(%s) >= 0", [str(batch_id)]).fetchone()[0]:
            batch_id = uuid.uuid4()
        batches.start_batch(conn, batch_id, "live-test", {})
        yield batch_id
        batches.fail_batch(conn, batch_id, RuntimeError("test over"))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_batch_and_run_are_abandoned_and_a_live_one_is_not(
    db: psycopg.Connection, warehouse_url: str, live_batch: uuid.UUID, sig: signal.Signals
) -> None:
    before = _backends(db)
    child, batch_id, run_id = _started_child(warehouse_url)
    try:
        # while the child lives, nothing of it is abandoned
        assert batch_id not in abandon_dead(db)["batch"]
        assert _status(db, "meta.ingest_batches", "batch_id", batch_id)[0] == "running"
    finally:
        child.send_signal(sig)
        child.wait(timeout=30)
    _wait_for_backends_to_end(db, before)
    dead = abandon_dead(db)
    assert batch_id in dead["batch"]
    assert run_id in dead["flow_run"]
    assert live_batch not in dead["batch"]
    status, noticed, error = _status(db, "meta.ingest_batches", "batch_id", batch_id)
    assert (status, noticed) == ("abandoned", True)
    assert "ended without recording an outcome" in error
    assert _status(db, "meta.flow_runs", "flow_run_id", run_id)[:2] == ("abandoned", True)
    assert _status(db, "meta.ingest_batches", "batch_id", live_batch)[0] == "running"
    # noticing is done once: a second look finds nothing new
    assert abandon_dead(db) == {"flow_run": [], "batch": []}


def test_a_finished_run_releases_its_lock_and_is_left_as_it_ended(db: psycopg.Connection) -> None:
    with recorded_run(db, "finished-test", {}) as run_id:
        pass
    assert run_id not in abandon_dead(db)["flow_run"]
    assert _status(db, "meta.flow_runs", "flow_run_id", run_id)[:2] == ("succeeded", False)
    held = db.execute(
        "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"
    ).fetchone()[0]
    assert held == 0


def test_the_history_shows_an_abandoned_batch(db: psycopg.Connection, warehouse_url: str) -> None:
    child, batch_id, _ = _started_child(warehouse_url)
    child.kill()
    child.wait(timeout=30)
    from flows.cli import app

    result = CliRunner().invoke(app, ["ingest", "--history"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if str(batch_id)[:8] in ln)
    assert "abandoned" in line


def test_the_reader_cannot_fake_a_live_run(warehouse_url: str) -> None:
    """Liveness locks are the writer's: the read-only role cannot take one (migration 0007)."""
    from warehouse.settings import get_settings

    with (
        psycopg.connect(get_settings().reader_dsn, autocommit=True) as reader,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        reader.execute("select pg_advisory_lock(7246011, hashtext('x'))")


def test_prefect_shows_a_killed_flow_run_as_crashed(
    db: psycopg.Connection, warehouse_url: str, prefect_harness: None
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    from flows.tracking import crash_in_prefect

    @__import__("prefect").flow(name="killed-test")
    def killed() -> None:  # pragma: no cover - only its record is used
        pass

    with get_client(sync_client=True) as client:
        created = client.create_flow_run(killed, state=Running())
        db.execute(
            "insert into meta.flow_runs (flow_run_id, flow_name) values (%s, 'killed-test')",
            [created.id],
        )
        db.commit()
        dead = abandon_dead(db)["flow_run"]
        assert created.id in dead
        assert crash_in_prefect(dead) >= 1
        state = client.read_flow_run(created.id).state
        assert state is not None and state.is_crashed()
        # a second pass leaves the crashed run alone
        assert crash_in_prefect([created.id]) == 0


def test_subflows_of_a_tracked_run_start_no_heartbeat_thread(db: psycopg.Connection) -> None:
    """Prefect joins a run's heartbeat thread at its end, up to 1 s later; the subflows a tracked
    run starts do without (the top-level run keeps its own), and the setting comes back after."""
    from prefect.settings import get_current_settings

    from flows.tracking import tracked_run

    before = get_current_settings().flows.heartbeat_frequency
    with tracked_run(db, "heartbeat-test", {}):
        assert get_current_settings().flows.heartbeat_frequency is None
    assert before is not None
    assert get_current_settings().flows.heartbeat_frequency == before
