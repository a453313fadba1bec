"""Benchmark: the lake selection (staging, intermediate, core and ML marts, with their tests) built
on Postgres and on Spark local[2], at the real size and at ten times the inspections.

For each size, in a throwaway database: the real files of ../shared/data go through the loader
(1x: the 67k inspections 2010-2025, the 2011-2014 complaints and burglaries, the weather, the
published violation counts; 10x: the inspections ten times over as distinct establishments, with
ids and licences shifted and names suffixed, beside the same other sources), then

- Postgres: `dbt build --selector lake`, in-process, wall time;
- Spark: `canvass lake export` (timed apart), then `dbt build --target spark --selector lake` in
  its own process (the JVM's start included, as a user pays it), wall time.

It prints each engine's time, its growth for 10x the inspections, and Spark / Postgres at each size:
the yardstick is Postgres, run on the same rows in the same process. A 2-core machine cannot show
a cluster's gain; docs/scale-out.md reads these figures.

    .venv/bin/python -m bench.engines [--data ../shared/data] [--factors 1 10]

Results are printed and written to bench/results/engines.json.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from bench._warehouse import bench_database, keep_result
from flows.sources.files import read_export
from warehouse import batches, lake, landing
from warehouse.datasets import get_dataset
from warehouse.dbt import run_dbt
from warehouse.settings import get_settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "engines.json"
DATA = HERE.parent.parent / "shared" / "data"
FILES = {
    "food_inspections": "chicago_union_2010-2025.csv.gz",
    "sanitation_complaints": "sources/chicago_311_sanitation_2011-2014.csv.gz",
    "burglaries": "sources/chicago_crimes_burglary_2011-2014.csv.gz",
    "weather_daily": "sources/chicago_weather_ohare_ghcnd_2009-2016.csv.gz",
    "violation_counts": "chicago_canvass_2011-09_2014-08_violation_counts.csv",
}
ID_STRIDE = 100_000_000  # copy k's inspection ids and licences are shifted by k * stride


def _copies(frame: pd.DataFrame, factor: int) -> Iterator[pd.DataFrame]:
    """The inspections `factor` times, each copy its own establishments (shifted ids and
    licences; a suffixed name and address for the unlicensed, whose key is a hash of them)."""
    for copy in range(factor):
        if copy == 0:
            yield frame
            continue
        shifted = frame.copy()
        for column in ("inspection_id", "license_number"):
            numbers = pd.to_numeric(shifted[column], errors="coerce")
            moved = (numbers + copy * ID_STRIDE).where(numbers > 0, numbers)
            shifted[column] = (
                moved.astype("Int64").astype(str).where(numbers.notna(), frame[column])
            )
        for column in ("dba_name", "address"):
            shifted[column] = shifted[column].where(
                shifted[column] == "", shifted[column] + f" #{copy}"
            )
        yield shifted


def _load(conn: psycopg.Connection, data: Path, factor: int, work: Path) -> dict[str, int]:
    rows = {}
    for name, file in FILES.items():
        dataset = get_dataset(name)
        frame = pd.concat(read_export(data / file, dataset=dataset), ignore_index=True)
        frames = _copies(frame, factor) if name == "food_inspections" else iter([frame])
        batch = uuid.uuid4()
        landed = landing.land(frames, str(work / "landing"), batch, dataset)
        batches.start_batch(conn, batch, "bench", {}, dataset=name)
        result = batches.load_landed_batch(
            conn, batch, batches.watermark_key(dataset, "bench"), landed.url, landed.sha256,
            dataset=dataset,
        )  # fmt: skip
        rows[name] = result.rows_inserted
        print(f"  {name}: {result.rows_inserted:,} rows loaded", file=sys.stderr)
    return rows


def _postgres(work: Path) -> float:
    target = work / "postgres-target"
    seeded = run_dbt(["seed", "--quiet"], get_settings(), target_path=target)
    if not seeded.success:
        raise RuntimeError(f"dbt seed failed: {seeded.error or seeded.failures}")
    started = time.perf_counter()
    built = run_dbt(["build", "--selector", "lake", "--quiet"], get_settings(), target_path=target)
    seconds = time.perf_counter() - started
    if not built.success:
        raise RuntimeError(f"dbt build on Postgres failed: {built.error or built.failures}")
    return seconds


def _measure(data: Path, factor: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="canvass-engines-") as tmp, bench_database() as url:
        work = Path(tmp)
        print(f"{factor}x: loading", file=sys.stderr)
        with psycopg.connect(url) as conn:
            rows = _load(conn, data, factor, work)
        postgres_s = _postgres(work)
        print(f"  Postgres dbt build: {postgres_s:.1f} s", file=sys.stderr)
        started = time.perf_counter()
        with psycopg.connect(url) as conn:
            lake.export_raw(conn, work / "lake")
        export_s = time.perf_counter() - started
        built = lake.build_on_spark(work / "spark-target", work / "lake")
        if not built.success:
            raise RuntimeError("dbt build on Spark failed:\n" + "\n".join(built.failures))
        print(
            f"  lake export {export_s:.1f} s, Spark dbt build {built.seconds:.1f} s",
            file=sys.stderr,
        )
        return {
            "factor": factor,
            "rows": rows,
            "postgres_build_s": round(postgres_s, 2),
            "lake_export_s": round(export_s, 2),
            "spark_build_s": round(built.seconds, 2),
            "spark_over_postgres": round(built.seconds / postgres_s, 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the real files (../shared/data)")
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    if missing := lake.spark_available():
        sys.exit(f"cannot run the Spark side: {missing}")
    if not (args.data / FILES["food_inspections"]).exists():
        sys.exit(f"the real files are not at {args.data} (--data DIR)")
    sizes = [_measure(args.data, factor) for factor in args.factors]
    print(
        f"\n{'size':>5} {'inspections':>12} {'Postgres s':>11} {'Spark s':>9} {'Spark/Postgres':>15}"
    )
    for size in sizes:
        print(
            f"{size['factor']:>4}x {size['rows']['food_inspections']:>12,} "
            f"{size['postgres_build_s']:>11.1f} {size['spark_build_s']:>9.1f} "
            f"{size['spark_over_postgres']:>15.2f}"
        )
    growth = {}
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        times = last["factor"] / first["factor"]
        growth = {
            "postgres": round(last["postgres_build_s"] / first["postgres_build_s"], 2),
            "spark": round(last["spark_build_s"] / first["spark_build_s"], 2),
        }
        print(
            f"growth for {times:g}x the inspections: Postgres {growth['postgres']}x, "
            f"Spark {growth['spark']}x (linear: {times:g}x)"
        )
    keep_result(
        RESULTS,
        " ".join(f"{f}x" for f in args.factors),
        {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {platform.python_version()}",
            "spark_master": "local[2]",
            "sizes": sizes,
            "growth": growth,
        },
    )


if __name__ == "__main__":
    main()
