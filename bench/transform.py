"""Benchmark: build the ML features with dbt, against one hand-written CREATE TABLE AS computing the
same features in the same run, on the same rows and the same server (bench/transform_hand.sql).

For each size (default: about 300,000 and 3,000,000 generated inspections) in a throwaway
database: generate demo rows, land and load them with the real loader, `dbt seed`, then time

- hand: `bench/transform_hand.sql`, raw.food_inspections + seeds -> the ml_features columns, one
  statement, window functions directly over the inspection rows;
- dbt full: `dbt run --full-refresh --select +ml_features` (staging, violations split and counted,
  history, area fail rates, ml_features), the whole dbt invocation's wall time, start-up included;
- dbt incremental: after loading about 1% more rows (new inspections of known establishments on any
  date, so many of them are late-arriving), `dbt run --select +ml_features` again.

Both sides run with the same session settings (work_mem, set on the database). The hand table and
ml_features are compared row for row after the full build. Targets: dbt full <= 2x hand;
10x the rows in <= 10x the time.

    .venv/bin/python -m bench.transform [--rows 300000 3000000] [--work-mem 512MB]

Results are printed and written to bench/results/transform.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from bench._warehouse import bench_database
from flows.sources.demo import demo_rows
from warehouse import batches, landing
from warehouse.dbt import run_dbt
from warehouse.settings import get_settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "transform.json"
HAND_SQL = HERE / "transform_hand.sql"
REPO = HERE.parent
ESTABLISHMENTS_PER_CHUNK = 20_000
ROWS_PER_ESTABLISHMENT = 7.6  # what the generator yields over its default five years
LICENCE_STRIDE = 10_000_000  # chunk k's licences are shifted by k * stride: distinct establishments


def _chunk(seed: int, id_offset: int, establishments: int) -> pd.DataFrame:
    """One generated chunk with inspection ids from `id_offset` and licences of its own."""
    frame = demo_rows(n_establishments=establishments, seed=seed)
    ids = pd.to_numeric(frame["inspection_id"], errors="coerce")
    frame["inspection_id"] = (ids + id_offset).astype("Int64").astype(str).where(ids.notna(), "")
    licences = pd.to_numeric(frame["license_number"], errors="coerce")
    shifted = (licences + seed * LICENCE_STRIDE).where(licences > 0, licences)
    frame["license_number"] = (
        shifted.astype("Int64").astype(str).where(licences.notna(), frame["license_number"])
    )
    return frame


def _generate(rows: int) -> tuple[list[pd.DataFrame], int]:
    """About `rows` demo rows in chunks of distinct establishments; returns them and the next free id."""
    # Rows come out in date order, so the last chunk is cut short: size the chunks to cut little.
    chunks = -(-rows // int(ESTABLISHMENTS_PER_CHUNK * ROWS_PER_ESTABLISHMENT))
    establishments = int(rows / ROWS_PER_ESTABLISHMENT / chunks) + 200
    frames, total, seed, offset = [], 0, 1, 0
    while total < rows:
        frame = _chunk(seed, offset, establishments)
        frames.append(frame)
        total += len(frame)
        offset = int(pd.to_numeric(frame["inspection_id"], errors="coerce").max()) + 1
        seed += 1
        print(f"  generated {total:,} rows", end="\r", file=sys.stderr)
    print(file=sys.stderr)
    excess = total - rows
    if excess:
        frames[-1] = frames[-1].iloc[: len(frames[-1]) - excess]
    return frames, offset


def _new_rows(
    frames: list[pd.DataFrame], count: int, next_id: int, recent: bool, seed: int
) -> pd.DataFrame:
    """`count` new inspections of establishments already loaded: rows of a fresh chunk whose
    licences are remapped onto known ones, with new ids. `recent`: dated in the 30 days after the
    latest inspection (the next loads); else on their generated dates across the whole period
    (late-arriving rows, which change every later feature of their establishment and area)."""
    rng = np.random.default_rng(seed)
    fresh = demo_rows(n_establishments=ESTABLISHMENTS_PER_CHUNK, seed=10_000 + seed)
    fresh = fresh.iloc[rng.choice(len(fresh), size=min(count, len(fresh)), replace=False)].copy()
    known = pd.concat([f["license_number"] for f in frames])
    known = known[pd.to_numeric(known, errors="coerce") > 0].unique()
    fresh["license_number"] = rng.choice(known, size=len(fresh))
    fresh["inspection_id"] = [str(next_id + i) for i in range(len(fresh))]
    if recent:
        latest = max(pd.to_datetime(f["inspection_date"], format="%m/%d/%Y").max() for f in frames)
        days = pd.to_timedelta(rng.integers(1, 31, size=len(fresh)), unit="D")
        fresh["inspection_date"] = (latest + days).strftime("%m/%d/%Y")
    return fresh


def _load(conn: psycopg.Connection, frames: list[pd.DataFrame], work: Path, name: str) -> float:
    landed = landing.write_batch(frames, str(work / f"{name}.parquet"))
    batch = uuid.uuid4()
    batches.start_batch(conn, batch, "bench", {})
    started = time.perf_counter()
    result = batches.load_landed_batch(conn, batch, "bench", landed.url, landed.sha256)
    seconds = time.perf_counter() - started
    print(f"  loaded {landed.rows:,} rows in {seconds:.1f} s ({result})", file=sys.stderr)
    return seconds


def _dbt(args: list[str], target: Path) -> float:
    """Run dbt in-process against the bench database; return its wall time in seconds.

    Prints each model's own time too, slowest first, so a regression points at its model.
    """
    started = time.perf_counter()
    invocation = run_dbt([*args, "--quiet"], get_settings(), target_path=target)
    seconds = time.perf_counter() - started
    if not invocation.success:
        raise RuntimeError(
            f"dbt {' '.join(args)} failed: {invocation.error or invocation.failures}"
        )
    timings = sorted(
        ((r["unique_id"].split(".")[-1], r["execution_time"]) for r in invocation.results),
        key=lambda item: -item[1],
    )
    print("    " + ", ".join(f"{name} {t:.1f} s" for name, t in timings), file=sys.stderr)
    return seconds


def _hand(url: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop table if exists public.hand_features")
        started = time.perf_counter()
        conn.execute(HAND_SQL.read_text())
        return time.perf_counter() - started


def _differences(url: str) -> tuple[int, int]:
    """Rows only in the hand table, rows only in marts.ml_features, on the hand table's columns
    (the inspection-history features; the other sources' are bench/spatial.py's)."""
    query = "select count(*) from (select {0} from {1} except all select {0} from {2}) as d"
    with psycopg.connect(url) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'public' and table_name = 'hand_features' order by ordinal_position"
            )
        ]
        columns = sql.SQL(", ").join(map(sql.Identifier, names))
        hand, dbt = sql.SQL("public.hand_features"), sql.SQL("marts.ml_features")
        only_hand = conn.execute(sql.SQL(query).format(columns, hand, dbt)).fetchone()[0]
        only_dbt = conn.execute(sql.SQL(query).format(columns, dbt, hand)).fetchone()[0]
    return only_hand, only_dbt


def _measure(rows: int, work_mem: str, work: Path) -> dict[str, Any]:
    with bench_database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            database = conn.info.dbname
            conn.execute(
                sql.SQL("alter database {} set work_mem = {}").format(
                    sql.Identifier(database), sql.Literal(work_mem)
                )
            )
        print(f"{rows:,} rows: generating", file=sys.stderr)
        frames, next_id = _generate(rows)
        target = work / f"target-{rows}"
        with psycopg.connect(url) as conn:
            load_s = _load(conn, frames, work, f"initial-{rows}")
            inspections = conn.execute("select count(*) from raw.food_inspections").fetchone()[0]
        _dbt(["seed"], target)
        hand_s = _hand(url)
        print(f"  hand CREATE TABLE AS: {hand_s:.1f} s", file=sys.stderr)
        dbt_s = _dbt(["run", "--full-refresh", "--select", "+ml_features"], target)
        print(f"  dbt run --full-refresh: {dbt_s:.1f} s", file=sys.stderr)
        only_hand, only_dbt = _differences(url)
        with psycopg.connect(url) as conn:
            features = conn.execute("select count(*) from marts.ml_features").fetchone()[0]
        incremental: dict[str, dict[str, Any]] = {}
        for scenario, recent in (("recent", True), ("late", False)):
            extra = _new_rows(frames, max(1, inspections // 100), next_id, recent, len(incremental))
            next_id += len(extra)
            with psycopg.connect(url) as conn:
                _load(conn, [extra], work, f"{scenario}-{rows}")
            seconds = _dbt(["run", "--select", "+ml_features"], target)
            incremental[scenario] = {
                "new_rows": len(extra),
                "dbt_seconds": round(seconds, 1),
                "ratio_to_full": round(seconds / dbt_s, 3),
            }
            print(
                f"  dbt run (incremental, {len(extra):,} {scenario} rows): {seconds:.1f} s",
                file=sys.stderr,
            )
    return {
        "rows_loaded": inspections,
        "feature_rows": features,
        "load_seconds": round(load_s, 1),
        "hand_seconds": round(hand_s, 1),
        "dbt_full_seconds": round(dbt_s, 1),
        "ratio_dbt_to_hand": round(dbt_s / hand_s, 2),
        "rows_differing": {"only_hand": only_hand, "only_dbt": only_dbt},
        "incremental": incremental,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[300_000, 3_000_000])
    parser.add_argument("--work-mem", default="512MB")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="canvass-bench-transform-"))
    sizes: dict[str, Any] = {}
    try:
        for rows in args.rows:
            sizes[str(rows)] = _measure(rows, args.work_mem, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report: dict[str, Any] = {
        "benchmark": "transform",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "timed": {
            "hand": "bench/transform_hand.sql: one CREATE TABLE AS from raw + seeds to the ml_features columns",
            "dbt_full": "dbt run --full-refresh --select +ml_features (invocation wall time, start-up included)",
            "dbt_incremental": "dbt run --select +ml_features after loading ~1% new rows: 'recent' "
            "dated in the 30 days after the latest inspection, then 'late' spread over the whole period",
        },
        "session": {"work_mem": args.work_mem},
        "sizes": sizes,
        "targets": {"ratio_dbt_to_hand": "<= 2", "time_for_10x_rows": "<= 10x"},
    }
    if len(args.rows) >= 2:
        small, large = sizes[str(args.rows[0])], sizes[str(args.rows[-1])]
        report["scaling"] = {
            "rows_factor": round(large["rows_loaded"] / small["rows_loaded"], 2),
            "dbt_time_factor": round(large["dbt_full_seconds"] / small["dbt_full_seconds"], 2),
            "hand_time_factor": round(large["hand_seconds"] / small["hand_seconds"], 2),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")

    print(
        f"{'rows':>10} {'hand s':>7} {'dbt s':>7} {'dbt/hand':>8} "
        f"{'+1% recent s':>13} {'/full':>6} {'+1% late s':>11} {'/full':>6} {'diff':>5}"
    )
    for values in sizes.values():
        diff = values["rows_differing"]["only_hand"] + values["rows_differing"]["only_dbt"]
        recent, late = values["incremental"]["recent"], values["incremental"]["late"]
        print(
            f"{values['rows_loaded']:>10,} {values['hand_seconds']:>7.1f} "
            f"{values['dbt_full_seconds']:>7.1f} {values['ratio_dbt_to_hand']:>8.2f} "
            f"{recent['dbt_seconds']:>13.1f} {recent['ratio_to_full']:>6.3f} "
            f"{late['dbt_seconds']:>11.1f} {late['ratio_to_full']:>6.3f} {diff:>5}"
        )
    if "scaling" in report:
        s = report["scaling"]
        print(
            f"{s['rows_factor']}x the rows: dbt took {s['dbt_time_factor']}x the time, "
            f"hand SQL {s['hand_time_factor']}x"
        )
    print(f"timed: {report['timed']['dbt_full']}; hand: {report['timed']['hand']}")


if __name__ == "__main__":
    main()
