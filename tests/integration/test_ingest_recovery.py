"""A load killed at a random point leaves nothing half-done, and a re-run converges to the state of
a clean run; two loads at once are serialised by the advisory lock."""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from warehouse import batches, landing
from warehouse.datasets import canonical_name
from warehouse.load import raw_checksum

_CHILD = """
import sys, uuid, psycopg
from warehouse import batches
url, sha, batch = sys.argv[1], sys.argv[2], uuid.UUID(sys.argv[3])
with psycopg.connect(sys.argv[4]) as conn:
    batches.start_batch(conn, batch, "test", {})
    print("ready", flush=True)
    batches.load_landed_batch(conn, batch, "killed-test", url, sha)
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def landed_real(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> landing.LandedFile:
    frame = pd.read_csv(
        shared_data / "chicago_union_2010-2025.csv.gz", dtype=str, keep_default_na=False
    )
    frame = frame.rename(columns={c: canonical_name(c) or c for c in frame.columns})
    url = str(tmp_path_factory.mktemp("landing") / "batch.parquet")
    return landing.write_batch([frame], url)


def _reset(conn: psycopg.Connection) -> None:
    conn.execute(
        "truncate raw.food_inspections, raw.food_inspections_history, meta.ingest_rejects, "
        "meta.ingest_watermarks"
    )
    conn.commit()


def _clean_load(conn: psycopg.Connection, landed: landing.LandedFile) -> float:
    batch = uuid.uuid4()
    batches.start_batch(conn, batch, "test", {})
    started = time.monotonic()
    batches.load_landed_batch(conn, batch, "killed-test", landed.url, landed.sha256)
    return time.monotonic() - started


def test_killed_load_leaves_nothing_and_rerun_equals_clean_run(
    db: psycopg.Connection, warehouse_url: str, landed_real: landing.LandedFile
) -> None:
    _reset(db)
    took = _clean_load(db, landed_real)
    clean = raw_checksum(db)
    assert clean[0] > 60_000

    _reset(db)
    killed_batch = uuid.uuid4()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CHILD,
            landed_real.url,
            landed_real.sha256,
            str(killed_batch),
            warehouse_url,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    time.sleep(random.Random(20140901).uniform(0.1, 0.8) * took)
    child.kill()
    child.wait(timeout=30)
    assert child.returncode != 0, "the load finished before it could be killed"

    # One transaction per batch: nothing of the killed load is visible, the watermark did not move.
    assert raw_checksum(db)[0] == 0
    assert db.execute("select count(*) from meta.ingest_watermarks").fetchone() == (0,)
    assert db.execute(
        "select status from meta.ingest_batches where batch_id = %s", [killed_batch]
    ).fetchone() == ("running",)

    _clean_load(db, landed_real)
    assert raw_checksum(db) == clean


def test_a_second_load_waits_for_the_first_and_says_so(
    db: psycopg.Connection, warehouse_url: str, landed_real: landing.LandedFile, caplog
) -> None:
    _reset(db)
    holder = psycopg.connect(warehouse_url, autocommit=True)
    with holder:
        with batches.load_lock(holder):
            done = threading.Event()

            def second() -> None:
                with psycopg.connect(warehouse_url) as conn:
                    _clean_load(conn, landed_real)
                done.set()

            with caplog.at_level(logging.WARNING, logger="warehouse.batches"):
                thread = threading.Thread(target=second)
                thread.start()
                time.sleep(1.0)
                assert not done.is_set(), "the second load did not wait for the lock"
        thread.join(timeout=120)
    assert done.is_set()
    assert any("another load into raw is running" in r.message for r in caplog.records)
    assert raw_checksum(db)[0] > 60_000
