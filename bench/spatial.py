"""Benchmark: the complaint and burglary features (int_inspections__nearby_events, macro
nearby_event_counts: a grid, then the exact distance) against the query a person would write by
hand (a lateral join over a (latitude, longitude) index with a bounding box, then the distance), in
the same run, on the same rows and the same server.

At the real size (the union inspections and the City's 2011-2014 complaints and burglaries, loaded
with the real loader) and at `--factor` times it: the city copied side by side (each copy shifted
by 1.5 degrees of longitude, with new keys), so the density of events around a place is the real
one and the work should grow linearly. Both queries must give the same counts. The hand query
runs under a statement timeout (HAND_LIMIT_S): its btree on (latitude, longitude) serves the
latitude range only, which at 10x holds every copy's events, so it grows with the square. Results
go to bench/results/spatial.json (beside bench/transform.py's transform.json).

    .venv/bin/python -m bench.spatial [--factor 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench._warehouse import bench_database, bench_files, keep_result
from flows.cli.pipeline import ingest_plan
from warehouse.dbt import run_dbt

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data"
RESULTS = HERE / "results" / "spatial.json"
FILES = {
    "food_inspections": DATA / "chicago_union_2010-2025.csv.gz",
    "sanitation_complaints": DATA / "sources" / "chicago_311_sanitation_2011-2014.csv.gz",
    "burglaries": DATA / "sources" / "chicago_crimes_burglary_2011-2014.csv.gz",
}
SHIFT = 1.5  # degrees of longitude between copies of the city
HAND_LIMIT_S = 300  # the hand query's statement timeout: at 10x its box scan grows with the square

# What a person writes: a box around each inspection (an index on the coordinates), the exact
# distance, the windows; every inspection of ml_features with a location; null where a window
# reaches outside the dates the events cover (the features' definition).
HAND = """
create index if not exists hand_events_ll on hand_events (latitude, longitude);
analyze hand_events;
drop table if exists hand_nearby;
create table hand_nearby as
with
counted as (
    select
        p.inspection_id,
        p.inspection_date,
        count(*) filter (where e.kind = 'complaint' and e.d <= 500.001 and e.days <= 30) as c_500_30,
        count(*) filter (where e.kind = 'complaint' and e.d <= 500.001) as c_500_90,
        count(*) filter (where e.kind = 'complaint' and e.days <= 30) as c_1000_30,
        count(*) filter (where e.kind = 'complaint') as c_1000_90,
        count(*) filter (where e.kind = 'burglary' and e.d <= 500.001 and e.days <= 30) as b_500_30,
        count(*) filter (where e.kind = 'burglary' and e.d <= 500.001) as b_500_90,
        count(*) filter (where e.kind = 'burglary' and e.days <= 30) as b_1000_30,
        count(*) filter (where e.kind = 'burglary') as b_1000_90
    from intermediate.int_inspections__deduplicated as p
    left join lateral (
        select
            ev.event_kind as kind,
            p.inspection_date - ev.event_date as days,
            2 * 6371008.8 * asin(least(1.0, sqrt(
                power(sin(radians(ev.latitude - p.latitude) / 2), 2)
                + cos(radians(p.latitude)) * cos(radians(ev.latitude))
                * power(sin(radians(ev.longitude - p.longitude) / 2), 2)))) as d
        from hand_events as ev
        where
            ev.latitude between p.latitude - 0.0091 and p.latitude + 0.0091
            and ev.longitude between p.longitude - 0.0125 and p.longitude + 0.0125
            and ev.event_date < p.inspection_date
            and ev.event_date >= p.inspection_date - 90
    ) as e on e.d <= 1000.001
    where p.establishment_id is not null and p.is_failed is not null and p.latitude is not null
    group by p.inspection_id, p.inspection_date
),
covered as (
    select event_kind, min(event_date) as first_date, max(event_date) as last_date
    from hand_events group by event_kind
)
select
    c.inspection_id,
    case when c.inspection_date - 30 >= k.first_date and c.inspection_date - 1 <= k.last_date
        then c.c_500_30 end as c_500_30,
    case when c.inspection_date - 90 >= k.first_date and c.inspection_date - 1 <= k.last_date
        then c.c_500_90 end as c_500_90,
    case when c.inspection_date - 30 >= k.first_date and c.inspection_date - 1 <= k.last_date
        then c.c_1000_30 end as c_1000_30,
    case when c.inspection_date - 90 >= k.first_date and c.inspection_date - 1 <= k.last_date
        then c.c_1000_90 end as c_1000_90,
    case when c.inspection_date - 30 >= b.first_date and c.inspection_date - 1 <= b.last_date
        then c.b_500_30 end as b_500_30,
    case when c.inspection_date - 90 >= b.first_date and c.inspection_date - 1 <= b.last_date
        then c.b_500_90 end as b_500_90,
    case when c.inspection_date - 30 >= b.first_date and c.inspection_date - 1 <= b.last_date
        then c.b_1000_30 end as b_1000_30,
    case when c.inspection_date - 90 >= b.first_date and c.inspection_date - 1 <= b.last_date
        then c.b_1000_90 end as b_1000_90
from counted as c
cross join (select * from covered where event_kind = 'complaint') as k
cross join (select * from covered where event_kind = 'burglary') as b
"""

DIFFERENCES = """
select count(*) from hand_nearby as h
full outer join intermediate.int_inspections__nearby_events as n
    on h.inspection_id = n.inspection_id
where (h.c_500_30, h.c_500_90, h.c_1000_30, h.c_1000_90, h.b_500_30, h.b_500_90, h.b_1000_30,
       h.b_1000_90)
    is distinct from
      (n.complaints_500m_30d, n.complaints_500m_90d, n.complaints_1000m_30d,
       n.complaints_1000m_90d, n.burglaries_500m_30d, n.burglaries_500m_90d,
       n.burglaries_1000m_30d, n.burglaries_1000m_90d)
"""


def _copies(conn: psycopg.Connection, factor: int) -> None:
    """`factor` copies of the city side by side in raw (new keys, longitudes shifted)."""
    for k in range(1, factor):
        shift = SHIFT * k
        conn.execute(
            "insert into raw.food_inspections select inspection_id + %s * 100000000, dba_name,"
            " aka_name, license_number + %s * 100000000, facility_type, risk, address, city,"
            " state, zip, inspection_date, inspection_type, results, violations, latitude,"
            " longitude + %s, location, batch_id, loaded_at from raw.food_inspections"
            " where inspection_id < 100000000",
            [k, k, shift],
        )
        conn.execute(
            "insert into raw.sanitation_complaints select service_request_number || '-' || %s,"
            " creation_date, status, completion_date, type_of_service_request, violation_nature,"
            " street_address, zip_code, ward, police_district, community_area, latitude,"
            " longitude + %s, batch_id, loaded_at from raw.sanitation_complaints"
            " where service_request_number not like '%%-%%-%%'",
            [k, shift],
        )
        conn.execute(
            "insert into raw.burglaries select id + %s * 100000000, case_number, date, block,"
            " iucr, primary_type, description, location_description, arrest, domestic, beat,"
            " district, ward, community_area, updated_on, latitude, longitude + %s, batch_id,"
            " loaded_at from raw.burglaries where id < 100000000",
            [k, shift],
        )
    conn.commit()


def _measure(url: str, target: Path) -> dict[str, float | int]:
    args = ["--target-path", str(target)]
    # the copies carry their originals' loaded_at: incremental models would not see them
    run_dbt(
        [
            "run",
            "--full-refresh",
            "--select",
            "+int_area__events",
            "+int_inspections__deduplicated",
            *args,
        ]
    )
    started = time.monotonic()
    run = run_dbt(["run", "--select", "int_area__events", "int_inspections__nearby_events", *args])
    dbt_s = time.monotonic() - started
    if not run.success:
        raise SystemExit(f"dbt failed: {run.error}")
    with psycopg.connect(url) as conn:
        conn.execute("drop table if exists hand_events")
        conn.execute("select set_config('statement_timeout', %s, false)", [f"{HAND_LIMIT_S}s"])
        started = time.monotonic()
        conn.execute(
            "create table hand_events as select 'complaint' as event_kind, created_date as"
            " event_date, latitude, longitude from staging.stg_chicago__sanitation_complaints"
            " where not is_duplicate and latitude is not null union all select 'burglary',"
            " occurred_date, latitude, longitude from staging.stg_chicago__burglaries"
            " where latitude is not null"
        )
        try:
            for statement in filter(str.strip, HAND.split(";")):
                conn.execute(statement)
            conn.commit()
        except psycopg.errors.QueryCanceled:
            conn.rollback()
            finished = False
        else:
            finished = True
        hand_s = time.monotonic() - started
        conn.execute("set statement_timeout = 0")
        points = conn.execute(
            "select count(*) from intermediate.int_inspections__nearby_events"
        ).fetchone()[0]
        events = conn.execute("select count(*) from intermediate.int_area__events").fetchone()[0]
        differing = conn.execute(DIFFERENCES).fetchone()[0] if finished else None
    return {
        "points": points,
        "events": events,
        "dbt_seconds": round(dbt_s, 2),
        "hand_seconds": round(hand_s, 2) if finished else None,
        "hand_unfinished_after_seconds": None if finished else HAND_LIMIT_S,
        "ratio_dbt_to_hand": round(dbt_s / hand_s, 2) if finished else None,
        "rows_differing": differing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10, help="the larger size, x the real one")
    args = parser.parse_args()
    missing = [str(p) for p in FILES.values() if not p.exists()]
    if missing:
        raise SystemExit(f"the real files are needed: {', '.join(missing)}")
    from prefect.testing.utilities import prefect_test_harness

    sizes = {}
    with (
        bench_files("canvass-bench-spatial-") as tmp,
        bench_database() as url,
        prefect_test_harness(server_startup_timeout=180),
    ):
        from flows.ingest import ingest

        for name, path in FILES.items():
            for dataset, source in ingest_plan(str(path), [name]):
                ingest(source=source, dataset=dataset)
        run_dbt(["seed", "--target-path", str(tmp / "target")])
        for factor in (1, args.factor):
            if factor > 1:
                with psycopg.connect(url) as conn:
                    _copies(conn, factor)
            figures = _measure(url, tmp / "target")
            sizes[f"{factor}x"] = figures
            print(f"{factor}x: {figures}", file=sys.stderr)
    small, large = sizes["1x"], sizes[f"{args.factor}x"]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "timed": {
            "dbt": "dbt run --select int_area__events int_inspections__nearby_events (invocation)",
            "hand": "a lateral join over a (latitude, longitude) btree with a box, then the distance",
        },
        "sizes": sizes,
        "dbt_time_factor": round(large["dbt_seconds"] / small["dbt_seconds"], 2),
        "hand_time_factor": (
            round(large["hand_seconds"] / small["hand_seconds"], 2)
            if large["hand_seconds"] and small["hand_seconds"]
            else f"> {HAND_LIMIT_S / small['hand_seconds']:.0f}"
            if small["hand_seconds"]
            else None
        ),
        "rows_factor": round(large["points"] / small["points"], 2),
    }
    keep_result(RESULTS, "spatial", result)
    print(result)


if __name__ == "__main__":
    main()
