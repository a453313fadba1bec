"""What the pipeline benchmarks share: a throwaway warehouse (DATABASE_URL's server, or an embedded
one in a temp dir), a temp dir for the run's files, the export they run on, the flows' times from
`meta.flow_runs`, and the results file each keeps one entry per case in."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from flows.sources.demo import DEMO_ESTABLISHMENTS, generate_inspections, write_export_csv
from warehouse.scratch import scratch_database, scratch_server
from warehouse.settings import ConnectionParts


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def bench_server() -> Iterator[ConnectionParts]:
    """An administrator's connection parts for a server that holds the benchmark's databases."""
    with scratch_server("canvass-bench-pg-") as admin:
        yield admin


@contextmanager
def bench_database(admin: ConnectionParts | None = None) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database (on `admin`'s server, else a server of its
    own), exported as DATABASE_URL; drop it afterwards."""
    if admin is None:
        with bench_server() as own, bench_database(own) as url:
            yield url
        return
    with scratch_database(admin, "canvass_bench") as url, _environment({"DATABASE_URL": url}):
        yield url


@contextmanager
def bench_files(prefix: str) -> Iterator[Path]:
    """A temp dir for the run's landing zone, artifacts, reports and dbt target, exported as the
    settings' environment variables; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        keys = ("CANVASS_LANDING_URL", "CANVASS_ARTIFACTS_DIR", "CANVASS_REPORTS_DIR")
        values = {key: str(Path(tmp) / key.lower()) for key in keys}
        values["CANVASS_DBT_TARGET_DIR"] = str(Path(tmp) / "target")
        with _environment(values):
            yield Path(tmp)


def export_source(source: str | None, tmp: Path, establishments: int = DEMO_ESTABLISHMENTS) -> str:
    """`source`, else a demo export of `establishments` written under `tmp`."""
    if source is not None:
        return source
    path = tmp / "demo.csv"
    write_export_csv(generate_inspections(n_establishments=establishments), path)
    return str(path)


def flow_seconds(url: str, since: datetime | None = None) -> dict[str, float]:
    """Seconds per flow name of the succeeded runs (started at or after `since`); a transform of
    part of the warehouse (`--select`: the delivery or monitoring marts) is counted apart. Nested
    runs are inside their parent's time (score's and monitor's transforms in a pipeline)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select flow_name || case when parameters ->> 'select' is not null "
            "then ' --select' else '' end, "
            "sum(extract(epoch from finished_at - started_at)) "
            "from meta.flow_runs where status = 'succeeded' "
            "and (%(since)s::timestamptz is null or started_at >= %(since)s) "
            "group by 1",
            {"since": since},
        ).fetchall()
    return {name: round(float(seconds), 2) for name, seconds in rows}


def keep_result(path: Path, key: str, figures: dict[str, Any]) -> None:
    """Keep `figures` as the entry `key` of the results file at `path` (other entries stay)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept = kept if "runs" in kept else {"runs": {}}
    kept["runs"][key] = figures
    path.write_text(json.dumps(kept, indent=2) + "\n")
    print(f"written to {path}")
