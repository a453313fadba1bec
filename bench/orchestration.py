"""Benchmark: what Prefect adds to the pipeline (target <= 10%).

The same pipeline (`flows.pipeline`: ingest, transform, train, score, monitor) on the same export,
each run in a fresh database on one throwaway server, alternately with Prefect (flows and tasks
reporting to a Prefect server started before the clock runs, as the long-lived server of
`canvass ui` would be) and without it: every flow and task called as the plain function it wraps,
its run logger a standard logger, its artifacts dropped. The yardstick is the run without Prefect,
measured in the same process.

    .venv/bin/python -m bench.orchestration [--source FILE] [--until 2019-12-02] [--pairs 2] [--quick]

Results are printed and kept in bench/results/orchestration.json, one entry per source and profile.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench._warehouse import bench_database, bench_files, bench_server, export_source, keep_result
from flows.sources.demo import DEMO_ESTABLISHMENTS
from warehouse.settings import ConnectionParts

RESULTS = Path(__file__).resolve().parent / "results" / "orchestration.json"


@contextmanager
def without_prefect() -> Iterator[None]:
    """Flows and tasks run as their plain functions: no run, no state, no API call."""
    import prefect
    import prefect.artifacts

    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, value: Any) -> None:
        patched.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def plain_logger() -> logging.Logger:
        return logging.getLogger("canvass.bench.without_prefect")

    patch(prefect.Flow, "__call__", lambda self, *a, **k: self.fn(*a, **k))
    patch(prefect.Task, "__call__", lambda self, *a, **k: self.fn(*a, **k))
    for module in [m for name, m in sys.modules.items() if name.startswith("flows.")]:
        if getattr(module, "get_run_logger", None) is prefect.get_run_logger:
            patch(module, "get_run_logger", plain_logger)
        for artifact in ("create_markdown_artifact", "create_table_artifact"):
            if getattr(module, artifact, None) is getattr(prefect.artifacts, artifact):
                patch(module, artifact, lambda *a, **k: None)
    try:
        yield
    finally:
        for owner, name, value in reversed(patched):
            setattr(owner, name, value)


def _run(
    admin: ConnectionParts, source: str, until: date | None, quick: bool, prefect: bool
) -> float:
    from flows.pipeline import pipeline

    with bench_database(admin):
        started = time.monotonic()
        if prefect:
            pipeline(source=source, until=until, quick=quick, monitor_on_data_clock=True)
        else:
            with without_prefect():
                pipeline(source=source, until=until, quick=quick, monitor_on_data_clock=True)
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="an export file (default: the demo generator)")
    parser.add_argument("--until", default=None, help="load inspections before this day")
    parser.add_argument("--pairs", type=int, default=2, help="runs with and without Prefect")
    parser.add_argument("--quick", action="store_true", help="the experiment's quick profile")
    args = parser.parse_args()
    until = date.fromisoformat(args.until) if args.until else None

    from prefect.testing.utilities import prefect_test_harness

    runs: dict[str, list[float]] = {"with_prefect": [], "without_prefect": []}
    with (
        bench_files("canvass-bench-orch-") as tmp,
        bench_server() as admin,
        prefect_test_harness(server_startup_timeout=180),
    ):
        source = export_source(args.source, tmp)
        for i in range(args.pairs):
            # alternate the order, so a warm-up or a slowing machine favours neither
            order = (False, True) if i % 2 == 0 else (True, False)
            for prefect in order:
                seconds = _run(admin, source, until, args.quick, prefect)
                key = "with_prefect" if prefect else "without_prefect"
                runs[key].append(round(seconds, 2))
                print(f"pair {i + 1}: {key.replace('_', ' ')}: {seconds:.1f} s", flush=True)
    with_s = statistics.median(runs["with_prefect"])
    without_s = statistics.median(runs["without_prefect"])
    overhead = with_s / without_s - 1
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": args.source or f"demo ({DEMO_ESTABLISHMENTS} establishments)",
        "quick": args.quick,
        "until": args.until,
        "runs_seconds": runs,
        "median_with_prefect_seconds": with_s,
        "median_without_prefect_seconds": without_s,
        "prefect_overhead": round(overhead, 3),
        "target": "prefect_overhead <= 0.10",
    }
    print(
        f"pipeline: {with_s:.1f} s with Prefect, {without_s:.1f} s without (medians of "
        f"{args.pairs}): Prefect adds {overhead:+.1%} (target <= 10%)"
    )
    keep_result(RESULTS, f"{figures['source']}{' quick' if args.quick else ''}", figures)


if __name__ == "__main__":
    main()
