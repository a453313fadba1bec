"""Benchmark: what the monitor stage costs, as a share of the whole pipeline run it ends.

In a throwaway database, runs the pipeline (ingest, transform, train, score, monitor) on the demo
generator or an export file, then reads each subflow's duration from `meta.flow_runs`: the
pipeline is the yardstick, measured in the same run. Then runs the monitor alone once more (the
warm cost a `canvass monitor` pays). Target: the monitor <= 10% of the pipeline.

    .venv/bin/python -m bench.monitor [--source FILE] [--establishments N] [--quick]

Results are printed and kept in bench/results/monitor.json, one entry per source.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._warehouse import bench_database, bench_files, export_source, flow_seconds, keep_result
from flows.sources.demo import DEMO_ESTABLISHMENTS

RESULTS = Path(__file__).resolve().parent / "results" / "monitor.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="an export file (default: the demo generator)")
    parser.add_argument("--establishments", type=int, default=DEMO_ESTABLISHMENTS)
    parser.add_argument("--quick", action="store_true", help="the experiment's quick profile")
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    with bench_files("canvass-bench-monitor-") as tmp:
        source = export_source(args.source, tmp, args.establishments)
        with bench_database() as url, prefect_test_harness(server_startup_timeout=180):
            from flows.monitor import monitor
            from flows.pipeline import pipeline

            started = time.monotonic()
            result = pipeline(source=source, quick=args.quick, monitor_on_data_clock=True)
            wall = time.monotonic() - started
            durations = flow_seconds(url)
            again = time.monotonic()
            monitor(as_of=result["score"]["as_of_date"])
            warm = time.monotonic() - again
    share = durations["monitor"] / durations["pipeline"]
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": args.source or f"demo ({args.establishments} establishments)",
        "quick": args.quick,
        "pipeline_seconds": round(durations["pipeline"], 1),
        "pipeline_wall_seconds": round(wall, 1),
        "stage_seconds": {k: round(v, 1) for k, v in sorted(durations.items())},
        "monitor_seconds": round(durations["monitor"], 1),
        "monitor_share": round(share, 3),
        "monitor_alone_seconds": round(warm, 1),
    }
    for stage, seconds in figures["stage_seconds"].items():
        print(f"{stage:>10}: {seconds:7.1f} s")
    print(f"monitor / pipeline: {share:.3f} (target <= 0.10); alone again: {warm:.1f} s")
    keep_result(RESULTS, f"{figures['source']}{' quick' if args.quick else ''}", figures)


if __name__ == "__main__":
    main()
