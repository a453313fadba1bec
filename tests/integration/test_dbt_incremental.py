"""Incremental dbt models equal a full refresh after new, late and corrected raw rows.

A database of its own on the session's Postgres gets a first batch of hand-made inspections and a
`dbt build`; then a second batch adds new inspections, a late-arriving old one and a lower-id copy,
and corrects older records (a result, licences that move inspections between establishments, one
that empties an establishment and one that turns an inspection into a re-published copy), the way
the loader's upsert does (new batch_id, loaded_at = now()). A second `dbt build` runs
incrementally; its tables are kept, `dbt build --full-refresh` rebuilds everything, and every table
must hold exactly the same rows. Three dbt invocations in all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from support.dbt_sandbox import dbt, insert_raw, sandbox

FIRST_BATCH = uuid.UUID("00000000-0000-0000-0000-0000000001c1")
SECOND_BATCH = uuid.UUID("00000000-0000-0000-0000-0000000001c2")

A = ("Cafe A", 1001, "Restaurant", "Risk 1 (High)", "1 A St", "60601")
B = ("Grocer B", 2002, "Grocery Store", "Risk 2 (Medium)", "2 B St", "60601")
C = ("Taco Cart", 0, "Mobile Food Preparer", "Risk 3 (Low)", "1 Main St", "60602")
D = ("Bakery D", 4004, "Bakery", "Risk 2 (Medium)", "4 D St", "60602")
E = ("Diner E", 5005, "Restaurant", "Risk 1 (High)", "5 E St", "60603")
F = ("Bar F", 6006, "Tavern", "Risk 3 (Low)", "6 F St", "60699")
G = ("Deli G", 7007, "Restaurant", "Risk 1 (High)", "7 G St", "60603")
H = ("Bakery H", 8008, "Bakery", "Risk 2 (Medium)", "8 H St", "60602")
NOBODY = (None, None, "Restaurant", "Risk 1 (High)", None, "60601")

V1 = "3. MANAGEMENT, FOOD EMPLOYEE - Comments: no policy | 33. PROPER COOLING METHODS - Comments: a"
V2 = "22. PROPER COLD HOLDING TEMPERATURES - Comments: 45F"
V3 = "55. PHYSICAL FACILITIES INSTALLED, MAINTAINED & CLEAN - Comments: dirty"

FIRST_ROWS = [
    (11, *A, "2020-01-10", "Canvass", "Fail", V1),
    (12, *A, "2020-03-01", "Canvass Re-Inspection", "Pass", None),
    (13, *A, "2021-01-05", "Canvass", "Fail", V2),
    (14, *A, "2022-02-01", "Canvass", "Pass", None),
    (21, *B, "2020-02-01", "Canvass", "Pass", None),
    (22, *B, "2020-06-01", "Complaint", "Fail", V3),
    (23, *B, "2021-06-01", "Canvass", "Pass", None),
    (31, *C, "2020-04-01", "License", "Pass", None),
    (32, *C, "2021-04-01", "Canvass", "Fail", V1),
    (41, *D, "2020-05-01", "Canvass", "Fail", V2),
    (42, *D, "2021-07-01", "Canvass", "Pass", None),
    (51, *E, "2021-02-01", "Canvass", "Fail", V3),
    (61, *NOBODY, "2020-07-01", "Canvass", "Fail", None),
    (71, *F, "2019-06-01", "Canvass", "Pass", None),
    (72, *F, "2020-06-01", "Canvass", "Fail", V1),
    (91, *H, "2021-07-01", "Canvass", "Pass", None),
]

NEW_ROWS = [
    (15, *A, "2022-08-01", "Canvass", "Fail", V3),  # a new inspection of a known establishment
    (24, *B, "2022-09-01", "Canvass", "Pass", None),
    (81, *G, "2022-05-01", "License", "Pass", None),  # a new establishment
    (33, *C, "2019-12-01", "Canvass", "Fail", V2),  # late: earlier than C's known history
    (9, *D, "2020-05-01", "Canvass", "Fail", V2),  # a lower-id copy of 41: 41 becomes the copy
]

# Corrections of first-batch rows: inspection_id -> the columns the source republished.
CORRECTIONS = {
    13: {"results": "Pass", "violations": None},  # an older result corrected
    51: {"license_number": 2002},  # E's only inspection belongs to B: E disappears
    91: {"license_number": 4004},  # H's only inspection is a copy of D's 42: it disappears too
    32: {"dba_name": None, "address": None, "license_number": None},  # no longer identifiable
    61: {"results": "Pass"},  # an inspection that names no establishment, corrected
}

TABLES = (
    "intermediate.int_inspections__deduplicated",
    "intermediate.int_inspections__violations_split",
    "intermediate.int_inspections__violations_counted",
    "intermediate.int_inspections__history",
    "intermediate.int_inspections__area_fail_rates",
    "marts.fct_inspections",
    "marts.dim_establishments",
    "marts.ml_features",
    "marts.ml_labels",
    "marts.ml_scoring_cohort",
)


def _second_batch(conn: psycopg.Connection) -> None:
    """New, late and copied rows plus corrections, written as the loader's upsert writes them."""
    insert_raw(conn, NEW_ROWS, SECOND_BATCH)
    for inspection_id, changes in CORRECTIONS.items():
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder())
            for column in changes
        )
        conn.execute(
            sql.SQL(
                "update raw.food_inspections set {}, batch_id = %s, loaded_at = now() "
                "where inspection_id = %s"
            ).format(assignments),
            [*changes.values(), SECOND_BATCH, inspection_id],
        )


def _row_versions(url: str, table: str) -> dict[int, tuple[str, str]]:
    """inspection_id -> (establishment_id, xmin): xmin changes when a row is rewritten."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            sql.SQL("select inspection_id, establishment_id, xmin::text from {}").format(
                sql.SQL(table)
            )
        ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@pytest.fixture(scope="module")
def builds(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Build, change raw, build incrementally (tables kept), then build with --full-refresh."""
    target = tmp_path_factory.mktemp("dbt-incremental-target")
    with sandbox(warehouse_url, "canvass_incr") as url:
        with psycopg.connect(url) as conn:
            insert_raw(conn, FIRST_ROWS, FIRST_BATCH)
        dbt(["build"], url, target)
        before = {
            "deduplicated": _row_versions(url, "intermediate.int_inspections__deduplicated"),
            "history": _row_versions(url, "intermediate.int_inspections__history"),
        }
        with psycopg.connect(url) as conn:
            _second_batch(conn)
        dbt(["build"], url, target)
        after = {
            "deduplicated": _row_versions(url, "intermediate.int_inspections__deduplicated"),
            "history": _row_versions(url, "intermediate.int_inspections__history"),
        }
        with psycopg.connect(url) as conn:
            conn.execute("create schema incremental_snapshot")
            for table in TABLES:
                conn.execute(
                    sql.SQL("create table incremental_snapshot.{} as table {}").format(
                        sql.Identifier(table.split(".")[1]), sql.SQL(table)
                    )
                )
        dbt(["build", "--full-refresh"], url, target)
        yield {"url": url, "before": before, "after": after}


@pytest.mark.parametrize("table", TABLES)
def test_incremental_build_equals_full_refresh(builds: dict, table: str) -> None:
    """Every row of every column, both ways (EXCEPT ALL also catches duplicated rows)."""
    snapshot = sql.SQL("incremental_snapshot.{}").format(sql.Identifier(table.split(".")[1]))
    with psycopg.connect(builds["url"]) as conn:
        counts = conn.execute(
            sql.SQL("select (select count(*) from {}), (select count(*) from {})").format(
                snapshot, sql.SQL(table)
            )
        ).fetchone()
        only_incremental = conn.execute(
            sql.SQL("select count(*) from (table {} except all table {}) as d").format(
                snapshot, sql.SQL(table)
            )
        ).fetchone()[0]
        only_full = conn.execute(
            sql.SQL("select count(*) from (table {} except all table {}) as d").format(
                sql.SQL(table), snapshot
            )
        ).fetchone()[0]
    assert counts[0] > 0
    assert (counts[0], only_incremental, only_full) == (counts[1], 0, 0)


def test_the_second_build_saw_every_change(builds: dict) -> None:
    kept = builds["after"]["deduplicated"]
    assert 9 in kept and 41 not in kept  # the lower id is kept, 41 became the copy
    assert 91 not in kept  # a copy of 42 once its licence was corrected
    assert kept[51][0] == "2002" and kept[32][0] is None
    assert not {e for e, _ in kept.values()} & {"5005", "8008"}
    assert {15, 24, 33, 81} <= set(kept)
    with psycopg.connect(builds["url"]) as conn:
        prior_fails = conn.execute(
            "select prior_fails from incremental_snapshot.int_inspections__history "
            "where inspection_id = 14"
        ).fetchone()[0]
    assert prior_fails == 1  # 13 was corrected from fail to pass


def test_the_second_build_rewrote_only_the_touched_establishments(builds: dict) -> None:
    """Rows of establishments no change touched keep their row version: the build was incremental."""
    for model in ("deduplicated", "history"):
        before, after = builds["before"][model], builds["after"][model]
        untouched = {i for i, (establishment, _) in before.items() if establishment == "6006"}
        touched = {i for i, (establishment, _) in before.items() if establishment == "1001"}
        assert untouched and touched
        assert all(after[i][1] == before[i][1] for i in untouched), model
        assert all(after[i][1] != before[i][1] for i in touched), model
