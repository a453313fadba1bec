"""The complaint and burglary features (macro nearby_event_counts) against a brute-force count.

The macro is compiled by dbt exactly as the models use it and run on tables of hand-made points and
events: points exactly on a radius count, a point a metre beyond does not, an event on the as-of
date itself never counts, the windows' first day counts and the day before it does not, and
events across grid cells are found. Then a few hundred random points and events, compared count by
count with a plain double loop.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from warehouse.settings import get_settings

DBT = Path(sys.executable).parent / "dbt"
RADII = (500, 1000)
WINDOWS = (30, 90)
KINDS = (("complaint", "complaints"), ("burglary", "burglaries"))
EARTH_M = 6371008.8
AS_OF = date(2013, 6, 15)


def _compiled(tmp_path: Path, expression: str) -> str:
    settings = get_settings()
    project = str(settings.project_dir)
    result = subprocess.run(
        [str(DBT), "compile", "--inline", expression, "--output", "json", "--quiet",
         "--project-dir", project, "--profiles-dir", project, "--target-path", str(tmp_path)],
        capture_output=True,
        text=True,
        env=os.environ | settings.dbt_env(),
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["compiled"]


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def _north(lat: float, metres: float) -> float:
    """The latitude `metres` north along the meridian: exactly that far by the great circle."""
    return lat + math.degrees(metres / EARTH_M)


def _brute_force(points: list[tuple], events: list[tuple]) -> dict[str, dict[str, int | None]]:
    """Every count by a double loop; None where the window reaches outside the kind's events."""
    out = {}
    for key, lat, lon, as_of in points:
        if lat is None:
            continue
        row = {}
        for kind, plural in KINDS:
            dates = [day for k, day, _, _ in events if k == kind]
            for radius in RADII:
                for days in WINDOWS:
                    covered = as_of - timedelta(days=days) >= min(dates) and as_of - timedelta(
                        days=1
                    ) <= max(dates)
                    row[f"{plural}_{radius}m_{days}d"] = (
                        None
                        if not covered
                        else sum(
                            1
                            for k, day, elat, elon in events
                            if k == kind
                            and as_of - timedelta(days=days) <= day < as_of
                            and _metres(lat, lon, elat, elon) <= radius + 0.001
                        )
                    )
        out[key] = row
    return out


def _counts(db: psycopg.Connection, sql: str, points: list[tuple], events: list[tuple]) -> dict:
    db.execute("drop schema if exists nearby_test cascade")
    db.execute("create schema nearby_test")
    db.execute(
        "create table nearby_test.points (point_key text, latitude double precision, "
        "longitude double precision, as_of_date date)"
    )
    db.execute(
        "create table nearby_test.events (event_kind text, event_date date, "
        "latitude double precision, longitude double precision, cell_lat integer, cell_lon integer)"
    )
    with db.cursor() as cur:
        cur.executemany("insert into nearby_test.points values (%s, %s, %s, %s)", points)
        cur.executemany(
            "insert into nearby_test.events values (%s, %s, %s, %s, "
            "floor(%s / 0.0091), floor(%s / 0.0125))",
            [(k, d, lat, lon, lat, lon) for k, d, lat, lon in events],
        )
    cur = db.execute(sql)
    names = [c.name for c in cur.description]
    rows = {r[0]: dict(zip(names[1:], r[1:], strict=True)) for r in cur.fetchall()}
    db.execute("drop schema nearby_test cascade")
    return rows


@pytest.fixture(scope="module")
def nearby_sql(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _compiled(
        tmp_path_factory.mktemp("dbt"),
        "{{ canvass.nearby_event_counts('nearby_test.points', 'nearby_test.events') }}",
    )


def test_the_edges_of_the_radius_and_the_window(db: psycopg.Connection, nearby_sql: str) -> None:
    lat, lon = 41.88, -87.63
    day = AS_OF
    events = [
        ("complaint", day - timedelta(days=10), _north(lat, 500.0), lon),  # on 500 m: counts
        ("complaint", day - timedelta(days=10), _north(lat, 501.0), lon),  # 1 m beyond: 1 km only
        ("complaint", day - timedelta(days=10), _north(lat, -1000.0), lon),  # on 1 km, south
        ("complaint", day, lat, lon),  # on the day itself: never
        ("complaint", day - timedelta(days=30), lat + 0.0001, lon),  # first day of 30 d: counts
        ("complaint", day - timedelta(days=31), lat + 0.0001, lon),  # 90 d only
        ("complaint", day - timedelta(days=90), lat + 0.0001, lon),  # first day of 90 d
        ("complaint", day - timedelta(days=91), lat + 0.0001, lon),  # too old
        ("burglary", day - timedelta(days=1), lat, lon + 0.008),  # 663 m east: 1 km only
        ("burglary", day + timedelta(days=1), lat, lon),  # after: never
        ("burglary", day - timedelta(days=120), lat + 0.1, lon),  # 11 km away: the dates covered
    ]
    points = [("p", lat, lon, day), ("no-location", None, None, day)]
    got = _counts(db, nearby_sql, points, events)
    assert set(got) == {"p"}  # a point without coordinates has no counts (unknown, not none)
    assert got["p"] == _brute_force(points, events)["p"]
    assert got["p"]["complaints_500m_30d"] == 2  # on the radius, first day of the window
    assert got["p"]["complaints_500m_90d"] == 4
    assert got["p"]["complaints_1000m_30d"] == 4  # + 501 m and the 1 km one
    assert got["p"]["complaints_1000m_90d"] == 6
    assert got["p"]["burglaries_500m_30d"] == 0
    assert got["p"]["burglaries_1000m_90d"] == 1


def test_random_points_match_a_double_loop(db: psycopg.Connection, nearby_sql: str) -> None:
    rng = random.Random(7)
    # A 6 km square straddling many grid cells, dense enough that most counts are not zero.
    points = [
        (f"p{i}", 41.9 + rng.uniform(0, 0.054), -87.7 + rng.uniform(0, 0.072),
         AS_OF + timedelta(days=rng.randint(0, 60)))
        for i in range(150)
    ]  # fmt: skip
    events = [
        (rng.choice(("complaint", "burglary")), AS_OF - timedelta(days=rng.randint(-10, 160)),
         41.9 + rng.uniform(-0.01, 0.064), -87.7 + rng.uniform(-0.013, 0.085))
        for _ in range(1500)
    ]  # fmt: skip
    got = _counts(db, nearby_sql, points, events)
    expected = _brute_force(points, events)
    assert got == expected
    counts = [r["complaints_1000m_90d"] for r in got.values()]
    assert sum(c for c in counts if c is not None) > 500  # the test counts something
    assert any(c is None for c in counts)  # and some windows end after the last event


def test_a_window_outside_the_events_dates_is_unknown(
    db: psycopg.Connection, nearby_sql: str
) -> None:
    lat, lon = 41.88, -87.63
    events = [
        ("complaint", AS_OF - timedelta(days=40), lat, lon),
        ("complaint", AS_OF - timedelta(days=5), lat, lon),
        ("burglary", AS_OF - timedelta(days=100), lat, lon),
        ("burglary", AS_OF - timedelta(days=50), lat, lon),
        ("burglary", AS_OF + timedelta(days=3), lat, lon),
    ]
    got = _counts(db, nearby_sql, [("p", lat, lon, AS_OF)], events)["p"]
    assert got["complaints_500m_30d"] is None  # complaints begin 40 days before: 90 d unknown...
    assert got["complaints_500m_90d"] is None
    assert got["burglaries_500m_90d"] == 1  # ... burglaries cover the whole window
    assert got["burglaries_500m_30d"] == 0
