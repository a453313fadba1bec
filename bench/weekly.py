"""Benchmark: what a production week costs against the full run it follows (target <= 0.05).

In a throwaway database: the whole pipeline on every inspection before `--as-of` (the yardstick,
measured in the same run), then the weekly cycle (`week`) as of seven days later, loading only that
week. Each flow's time comes from `meta.flow_runs`, so the output says where the week's time goes.

    .venv/bin/python -m bench.weekly [--source FILE] [--as-of 2014-06-02] [--quick]
    .venv/bin/python -m bench.weekly --establishments 15000    # the demo at 10x

Results are printed and kept in bench/results/weekly.json, one entry per source and profile.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench._warehouse import bench_database, bench_files, export_source, flow_seconds, keep_result
from flows.sources.demo import DEMO_ESTABLISHMENTS

RESULTS = Path(__file__).resolve().parent / "results" / "weekly.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="an export file (default: the demo generator)")
    parser.add_argument(
        "--as-of",
        default=None,
        help="the full run's end (default: 2019-12-02 on the demo, 2014-06-02 on a file)",
    )
    parser.add_argument("--quick", action="store_true", help="the experiment's quick profile")
    parser.add_argument(
        "--establishments",
        type=int,
        default=DEMO_ESTABLISHMENTS,
        help=f"the demo's size (default {DEMO_ESTABLISHMENTS}; 10x: {10 * DEMO_ESTABLISHMENTS})",
    )
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of or ("2014-06-02" if args.source else "2019-12-02"))
    week_end = as_of + timedelta(days=7)

    from prefect.testing.utilities import prefect_test_harness

    with bench_files("canvass-bench-weekly-") as tmp:
        source = export_source(args.source, tmp, args.establishments)
        with bench_database() as url, prefect_test_harness(server_startup_timeout=180):
            from flows.cycle import week
            from flows.pipeline import pipeline

            full_started = datetime.now(UTC)
            started = time.monotonic()
            pipeline(
                source=source,
                until=as_of,
                quick=args.quick,
                monitor_on_data_clock=True,
                demo_establishments=args.establishments,
            )
            full_wall = time.monotonic() - started
            full = flow_seconds(url, full_started)

            week_started = datetime.now(UTC)
            started = time.monotonic()
            result = week(
                as_of=week_end,
                source=source,
                since=as_of,
                quick=args.quick,
                demo_establishments=args.establishments,
            )
            week_wall = time.monotonic() - started
            weekly = flow_seconds(url, week_started)
    ratio = weekly["week"] / full["pipeline"]
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": args.source or f"demo ({args.establishments} establishments)",
        "quick": args.quick,
        "full_until": as_of.isoformat(),
        "full_seconds": full["pipeline"],
        "full_wall_seconds": round(full_wall, 1),
        "full_flow_seconds": full,
        "week_as_of": week_end.isoformat(),
        "week_rows_loaded": result["ingest"]["rows_landed"],
        "week_retrained": result["decision"]["retrain"],
        "week_seconds": weekly["week"],
        "week_wall_seconds": round(week_wall, 1),
        "week_flow_seconds": weekly,
        "week_share_by_flow": {
            k: round(v / weekly["week"], 3) for k, v in sorted(weekly.items()) if k != "week"
        },
        "week_vs_full": round(ratio, 3),
        "target": "week_vs_full <= 0.05",
    }
    print(f"full run until {as_of}: {full['pipeline']:.1f} s  {full}")
    print(
        f"week as of {week_end} ({figures['week_rows_loaded']:,} rows, "
        f"{'retrained' if figures['week_retrained'] else 'kept the model'}): "
        f"{weekly['week']:.1f} s  {weekly}"
    )
    print(f"week / full: {ratio:.3f} (target <= 0.05)")
    keep_result(RESULTS, f"{figures['source']}{' quick' if args.quick else ''}", figures)


if __name__ == "__main__":
    main()
