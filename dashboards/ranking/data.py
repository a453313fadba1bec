"""The ranking dashboard's data: queries over the delivery marts, read-only.

The SQL lives in `queries/*.sql` and reads only `marts` (the current run is
`marts.dim_scoring_runs.is_current`; labels, units and the model's weights per feature come with
`marts.fct_ranking_explanations`). `RankingStore` is created once per server (see `app_hooks.py`)
and caches the current ranking for a short while, so opening many sessions costs one query.
Filtering and formatting helpers are pure functions, so they are tested directly.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg.rows import dict_row

from warehouse.db import connect_reader
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

QUERIES_DIR = Path(__file__).resolve().parent / "queries"

ALL = "All"

RANKING_COLUMNS = [
    "rank",
    "score",
    "establishment_id",
    "license_number",
    "name",
    "address",
    "zip",
    "facility_type",
    "facility_group",
    "risk_level",
    "latitude",
    "longitude",
    "last_visit_date",
    "last_result",
]


@cache
def load_sql(name: str) -> str:
    """The text of `queries/<name>.sql`."""
    return (QUERIES_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class ScoringRun:
    """Which scores are shown: one model's ranking as of one date."""

    model_id: str
    as_of_date: date
    scored_at: datetime | None
    scored_establishments: int
    model_version: int | None = None
    algorithm: str | None = None
    model_alias: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What a session shows: the run (None when nothing is scored) and its ranking."""

    run: ScoringRun | None
    ranking: pd.DataFrame
    problem: str | None = None  # a sentence for the reader when the warehouse cannot be read


@dataclass(frozen=True)
class Filters:
    """The dashboard's widgets, as values. `ALL` (or None) means no filter."""

    facility_group: str | None = None
    zip: str | None = None
    risk_level: int | None = None
    top_n: int | None = None
    search: str | None = None  # words every one of which the name, address or license contains


@dataclass
class Explanation:
    """Why an establishment ranks where it does: the features the model saw, most weighed first."""

    establishment_id: str
    as_of_date: date | None
    features: list[tuple[str, str, float | None]] = field(default_factory=list)
    # (readable label, formatted value, the model's weight on the feature or None)


def empty_ranking() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in RANKING_COLUMNS})


def latest_run(conn: psycopg.Connection) -> ScoringRun | None:
    """The run to show: the latest as-of date of the model that scored most recently."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(load_sql("latest_run")).fetchone()
    return ScoringRun(**row) if row else None


def ranking(conn: psycopg.Connection, run: ScoringRun) -> pd.DataFrame:
    """Every establishment the run scored, rank 1 first."""
    with conn.cursor() as cur:
        cur.execute(load_sql("ranking"), {"model_id": run.model_id, "as_of_date": run.as_of_date})
        rows = cur.fetchall()
    frame = pd.DataFrame(rows, columns=RANKING_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    frame["latitude"] = pd.to_numeric(frame["latitude"], errors="coerce")
    frame["longitude"] = pd.to_numeric(frame["longitude"], errors="coerce")
    frame["last_visit_date"] = pd.to_datetime(frame["last_visit_date"])
    return frame


def filter_ranking(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows that pass the filters, in rank order, cut to the top N after filtering."""
    keep = pd.Series(True, index=frame.index)
    if filters.facility_group not in (None, ALL):
        keep &= frame["facility_group"] == filters.facility_group
    if filters.zip not in (None, ALL):
        keep &= frame["zip"] == filters.zip
    if filters.risk_level is not None:
        keep &= frame["risk_level"] == filters.risk_level
    if filters.search and filters.search.strip():
        license_text = frame["license_number"].map(lambda v: "" if pd.isna(v) else str(int(v)))
        haystack = (
            frame["name"].fillna("").str.lower()
            + " "
            + frame["address"].fillna("").str.lower()
            + " "
            + license_text
        )
        for word in filters.search.lower().split():
            keep &= haystack.str.contains(word, regex=False)
    view = frame[keep].sort_values(["rank", "establishment_id"], kind="stable")
    if filters.top_n is not None:
        view = view.head(max(filters.top_n, 0))
    return view.reset_index(drop=True)


EARTH_RADIUS_KM = 6371.0088  # the mean radius the SQL distances use (macros/nearby_events.sql)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def plan_route(view: pd.DataFrame, stops: int) -> pd.DataFrame:
    """The day's route: the first `stops` rows of the list (rank order), visited from the
    highest-ranked one with coordinates, each next stop the nearest not yet visited (a greedy
    walk, not the shortest tour); rows without coordinates come last, in rank order, to be found
    by address. Adds `stop` (1, 2, ...) and `leg_km` (from the stop before; NaN for the first and
    for rows without coordinates)."""
    chosen = view.head(max(stops, 0)).reset_index(drop=True)
    located = chosen["latitude"].notna() & chosen["longitude"].notna()
    points = {
        i: (float(chosen.at[i, "latitude"]), float(chosen.at[i, "longitude"]))
        for i in chosen.index[located]
    }
    order: list[int] = []
    legs: list[float] = []
    if points:
        here = min(points)  # the highest-ranked located row: the list is in rank order
        order.append(here)
        legs.append(float("nan"))
        left = set(points) - {here}
        while left:
            nearest = min(left, key=lambda i: (_km(points[here], points[i]), i))
            legs.append(_km(points[here], points[nearest]))
            order.append(nearest)
            left.discard(nearest)
            here = nearest
    unlocated = [i for i in chosen.index if i not in points]
    route = chosen.loc[order + unlocated].reset_index(drop=True)
    route.insert(0, "stop", range(1, len(route) + 1))
    route["leg_km"] = legs + [float("nan")] * len(unlocated)
    return route


# Around the outermost establishments, so the areas do not end exactly on them (degrees).
AREA_MARGIN = 0.01


def _clip(polygon: list[tuple[float, float]], boundary: list[tuple[float, float]]):
    """The part of a convex `polygon` inside the convex `boundary` (counter-clockwise), by
    Sutherland-Hodgman."""

    def inside(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> bool:
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

    def crossing(p, q, a, b):  # noqa: ANN001, ANN202 - points as tuples
        dx, dy = q[0] - p[0], q[1] - p[1]
        ex, ey = b[0] - a[0], b[1] - a[1]
        t = (ex * (p[1] - a[1]) - ey * (p[0] - a[0])) / (ey * dx - ex * dy)
        return (p[0] + t * dx, p[1] + t * dy)

    out = polygon
    for a, b in zip(boundary, boundary[1:] + boundary[:1], strict=True):
        points, out = out, []
        for p, q in zip(points, points[1:] + points[:1], strict=True):
            if inside(q, a, b):
                if not inside(p, a, b):
                    out.append(crossing(p, q, a, b))
                out.append(q)
            elif inside(p, a, b):
                out.append(crossing(p, q, a, b))
        if not out:
            break
    return out


def zip_areas(frame: pd.DataFrame) -> pd.DataFrame:
    """Approximate zip areas for a map drawn offline: each zip's centre is the mean position of its
    establishments in `frame`; its area is every place nearer to that centre than to any other
    (a Voronoi cell, with degrees east scaled to the length of degrees north), within the convex outline of all the
    establishments (plus AREA_MARGIN). Not the official boundaries: no map tile or shape file is
    fetched or shipped. Columns: zip, xs, ys (the outline: longitudes, latitudes), x, y (the
    centre). Empty with fewer than three zips."""
    from scipy.spatial import ConvexHull, QhullError, Voronoi

    columns = ["zip", "xs", "ys", "x", "y"]
    located = frame.dropna(subset=["latitude", "longitude", "zip"])
    located = located[located["zip"].astype(str).str.strip() != ""]
    centres = located.groupby("zip")[["longitude", "latitude"]].mean()
    if len(centres) < 3:
        return pd.DataFrame(columns=columns)
    # a degree east is shorter than a degree north: scale longitudes so distances are true
    squash = math.cos(math.radians(float(located["latitude"].mean())))
    try:
        everyone = np.column_stack(
            [located["longitude"].to_numpy(float) * squash, located["latitude"].to_numpy(float)]
        )
        hull = ConvexHull(everyone)
        middle = everyone[hull.vertices].mean(axis=0)
        boundary = []
        for vertex in everyone[hull.vertices]:  # counter-clockwise, pushed out by the margin
            away = vertex - middle
            boundary.append(tuple(vertex + away / max(np.hypot(*away), 1e-9) * AREA_MARGIN))
        points = np.column_stack(
            [centres["longitude"].to_numpy(float) * squash, centres["latitude"].to_numpy(float)]
        )
        span = float(np.ptp(everyone, axis=0).max()) * 10 + 1
        far = middle + np.array([[span, span], [-span, span], [span, -span], [-span, -span]])
        cells = Voronoi(np.vstack([points, far]))
    except QhullError:  # all on one line, or fewer distinct points than it needs
        return pd.DataFrame(columns=columns)
    rows = []
    for i, zip_code in enumerate(centres.index):
        region = cells.regions[cells.point_region[i]]
        if not region or -1 in region:
            continue
        polygon = [tuple(cells.vertices[v]) for v in region]
        centre = points[i]
        polygon.sort(key=lambda p: math.atan2(p[1] - centre[1], p[0] - centre[0]))
        clipped = _clip(polygon, boundary)
        if len(clipped) < 3:
            continue
        rows.append(
            (
                str(zip_code),
                [p[0] / squash for p in clipped],
                [p[1] for p in clipped],
                float(centres.loc[zip_code, "longitude"]),
                float(centres.loc[zip_code, "latitude"]),
            )
        )
    return pd.DataFrame(rows, columns=columns)


def choices(frame: pd.DataFrame, column: str) -> list[str]:
    """`ALL` then the column's distinct non-empty values, sorted: a Select's options."""
    values = sorted({str(v) for v in frame[column].dropna() if str(v).strip()})
    return [ALL, *values]


def display_text(value: Any) -> str:
    """A value as a cell shows it: "—" when missing or blank."""
    return "—" if value is None or pd.isna(value) or str(value).strip() == "" else str(value)


def format_feature(unit: str | None, value: Any) -> str:
    """A feature value (text from the mart) as a person reads it, by the catalogue's unit: rates as
    percentages, counts and days as integers, temperatures and rain with their units, categories as
    words."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "category":
        return str(value).replace("_", " ")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if unit == "rate":
        return f"{number:.0%}"
    if unit == "celsius":
        return f"{number:.1f} °C"
    if unit == "mm":
        return f"{number:.1f} mm"
    if number.is_integer():
        return str(int(number))
    return f"{number:.2f}"


def explain(establishment_id: str, rows: list[dict[str, Any]]) -> Explanation:
    """The panel's lines from the mart's rows (already most weighed first)."""
    return Explanation(
        establishment_id=establishment_id,
        as_of_date=rows[0]["features_as_of_date"] if rows else None,
        features=[
            (
                row["feature_label"],
                format_feature(row["feature_unit"], row["feature_value"]),
                None if row["model_weight"] is None else float(row["model_weight"]),
            )
            for row in rows
        ],
    )


class RankingStore:
    """Reads through the read-only role; keeps the current snapshot for `ttl_seconds`.

    Thread-safe: a Bokeh server may open sessions from several threads.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        ttl_seconds: float = 60.0,
        connect: Callable[[], psycopg.Connection] | None = None,
    ) -> None:
        self._settings = settings
        self._connect = connect
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._loaded_at = 0.0

    def connection(self) -> psycopg.Connection:
        if self._connect is not None:
            return self._connect()
        return connect_reader(self._settings or get_settings())

    def snapshot(self, *, refresh: bool = False) -> Snapshot:
        """The current run and ranking, read again when older than the TTL (or on `refresh`)."""
        with self._lock:
            fresh = time.monotonic() - self._loaded_at < self.ttl_seconds
            if self._snapshot is not None and fresh and not refresh:
                return self._snapshot
            snapshot = self._read()
            if snapshot.problem is None:
                self._snapshot, self._loaded_at = snapshot, time.monotonic()
            return snapshot

    def _read(self) -> Snapshot:
        try:
            with self.connection() as conn:
                run = latest_run(conn)
                frame = ranking(conn, run) if run else empty_ranking()
        except psycopg.errors.UndefinedTable as exc:
            log.warning("dashboard: warehouse not built: %s", exc)
            return Snapshot(
                None,
                empty_ranking(),
                "The warehouse is not built yet: `canvass demo` builds it on generated data, "
                "`canvass run --source FILE` on yours.",
            )
        except psycopg.Error as exc:
            log.error("dashboard: cannot read the warehouse: %s", exc)
            return Snapshot(
                None,
                empty_ranking(),
                "The warehouse database does not answer: start it with `canvass warehouse start` "
                "(or check DATABASE_URL) and reload this page.",
            )
        log.info("dashboard: loaded %d scored establishments", len(frame))
        return Snapshot(run, frame)

    def explanation(self, establishment_id: str, run: ScoringRun) -> Explanation | None:
        """The features behind one establishment's score; None when the mart has none for it."""
        try:
            with self.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                rows = cur.execute(
                    load_sql("explanation"),
                    {"establishment_id": establishment_id, "model_id": run.model_id},
                ).fetchall()
        except psycopg.Error as exc:
            log.error("dashboard: cannot read the features of %s: %s", establishment_id, exc)
            return None
        return explain(establishment_id, rows) if rows else None
