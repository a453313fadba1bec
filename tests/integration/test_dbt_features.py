"""dbt on a handful of hand-made inspections: every as-of feature against values worked out by hand.

The rows live in their own database on the session's Postgres (so other tests' raw rows cannot
change the counts); dbt runs twice in all: one `build` with a fixed as_of_date (models, seeds, every
dbt test, unit test), one `run` of the scoring cohort with the default as_of_date.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row
from support.dbt_sandbox import dbt, insert_raw, sandbox, settings_for

from warehouse.db import connect_reader
from warehouse.dbt import describe_lock_holders, lock_holders, run_dbt
from warehouse.settings import get_settings

REPO = Path(__file__).resolve().parents[2]

BATCH = uuid.UUID("00000000-0000-0000-0000-0000000000db")

# A: licence 1001, restaurant, risk 1, zip 60601. B: licence 2002, grocery, risk 2.
# C: no licence (0), identified by name and address. D: licence 3003, bakery, risk 2 (due later).
# E: licence 4004, last seen 2017 (too long ago to be in the cohort). 301: nobody (no licence,
# name or address) - counts towards zip and facility-group rates only. 1103: a re-published copy
# of 103 under another id.
A = ("Cafe A", 1001, "Restaurant", "Risk 1 (High)", "1 A St", "60601")
B = ("Grocer B", 2002, "Grocery Store", "Risk 2 (Medium)", "2 B St", "60601")
C = ("  Taco Cart ", 0, "Mobile Food Preparer", "Risk 3 (Low)", "1 Main St", "60602.0")
D = ("Bakery D", 3003, "Bakery", "Risk 2 (Medium)", "4 D St", "60601")
E = ("Diner E", 4004, "Restaurant", "Risk 1 (High)", "5 E St", "60601")
NOBODY = (None, None, "Restaurant", "Risk 1 (High)", None, "60601")

V101 = "3. MANAGEMENT, FOOD EMPLOYEE - Comments: no policy | 33. PROPER COOLING METHODS - Comments: a | b"
V103 = "22. PROPER COLD HOLDING TEMPERATURES - Comments: 45F"
V402 = "55. PHYSICAL FACILITIES INSTALLED, MAINTAINED & CLEAN - Comments: dirty"

ROWS = [
    (101, *A, "2020-01-10", "Canvass", "Fail", V101),
    (102, *A, "2020-01-10", "Canvass Re-Inspection", "Pass", None),
    (103, *A, "2020-06-01", "Complaint", "Fail", V103),
    (1103, *A, "2020-06-01", "Complaint", "Fail", V103),
    (104, *A, "2021-03-01", "Canvass", "Pass w/ Conditions", None),
    (105, *A, "2023-02-01", "Canvass", "Pass", None),
    (201, *B, "2020-01-10", "Canvass", "Pass", None),
    (202, *B, "2020-03-01", "Canvass", "Fail", None),
    (203, *B, "2020-12-01", "Canvass", "Out of Business", None),
    (301, *NOBODY, "2020-05-01", "Canvass", "Fail", None),
    (401, *C, "2020-02-01", "License", "Pass", None),
    (402, *C, "2022-03-01", "Canvass", "Fail", V402),
    (501, *D, "2021-06-15", "Canvass", "Fail", None),
    (502, *D, "2021-06-20", "Canvass Re-Inspection", "Pass", None),
    (601, *E, "2017-01-05", "Canvass", "Pass", None),
]

UNLICENSED_C = "unlicensed-" + hashlib.md5(b"taco cart|1 main st").hexdigest()

FEATURES = (
    "prior_inspections",
    "prior_fails",
    "prior_critical_violations",
    "prior_serious_violations",
    "days_since_last_inspection",
    "days_since_last_fail",
    "last_result",
    "fail_rate_1y",
    "fail_rate_3y",
    "zip_fail_rate_365d",
    "facility_group_fail_rate_365d",
    "days_since_first_seen",
    "inspection_month",
    "inspection_weekday",
)
FIRST = (0, 0, 0, 0, None, None, None, None, None)  # no earlier inspection: up to fail_rate_3y

# Worked out by hand. Windows end the day before; 365/1095-day windows include their first day.
EXPECTED_FEATURES = {
    # same day as 102 and 201: neither is visible
    101: (*FIRST, None, None, None, 1, 5),
    102: (*FIRST, None, None, None, 1, 5),
    # sees 101 (fail: one serious 3, one critical 33) and 102 (pass, highest id on that day)
    # zip 60601 before 2020-06-01: 101 F, 102 P, 201 P, 202 F, 301 F; restaurants: 101, 102, 301
    103: (2, 1, 1, 1, 143, 143, "pass", 0.5, 0.5, 3 / 5, 2 / 3, 143, 6, 1),
    # 1y window starts 2020-03-01: A has 103 only; zip has 202 (on the first day), 301, 103
    104: (3, 2, 2, 1, 273, 273, "fail", 1.0, 2 / 3, 1.0, 1.0, 416, 3, 1),
    # 104 has no violation text (counts unknown, not added); 3y window from 2020-02-02: 103 F, 104 P
    105: (4, 2, 2, 1, 702, 975, "pass_with_conditions", None, 0.5, None, None, 1118, 2, 3),
    201: (*FIRST, None, None, None, 1, 5),
    # zip before 2020-03-01: 101 F, 102 P, 201 P; grocery: 201 P
    202: (1, 0, 0, 0, 51, None, "pass", 0.0, 0.0, 1 / 3, 0.0, 51, 3, 7),
    401: (*FIRST, None, None, None, 2, 6),
    402: (1, 0, 0, 0, 759, None, "pass", None, 0.0, None, None, 759, 3, 2),
    # zip window 2020-06-15..2021-06-14: 104 P (103 on 2020-06-01 is outside)
    501: (*FIRST, 0.0, None, None, 6, 2),
    502: (1, 1, 0, 0, 5, 5, "fail", 1.0, 1.0, 0.5, 1.0, 5, 6, 7),
    601: (*FIRST, None, None, None, 1, 4),
}

EXPECTED_ATTRIBUTES = {
    # inspection_id: (establishment_id, facility_group, risk_level, inspection_type, zip)
    101: ("1001", "restaurant", 1, "canvass", "60601"),
    102: ("1001", "restaurant", 1, "canvass_reinspection", "60601"),
    103: ("1001", "restaurant", 1, "complaint", "60601"),
    104: ("1001", "restaurant", 1, "canvass", "60601"),
    105: ("1001", "restaurant", 1, "canvass", "60601"),
    201: ("2002", "grocery", 2, "canvass", "60601"),
    202: ("2002", "grocery", 2, "canvass", "60601"),
    401: (UNLICENSED_C, "mobile_vendor", 3, "license", "60602"),
    402: (UNLICENSED_C, "mobile_vendor", 3, "canvass", "60602"),
    501: ("3003", "bakery", 2, "canvass", "60601"),
    502: ("3003", "bakery", 2, "canvass_reinspection", "60601"),
    601: ("4004", "restaurant", 1, "canvass", "60601"),
}

EXPECTED_LABELS = {
    # inspection_id: (is_failed, has_critical_violation); null when a fail lacks its violations
    101: (True, True),
    102: (False, False),
    103: (True, True),
    104: (False, None),
    105: (False, False),
    201: (False, False),
    202: (True, None),
    401: (False, False),
    402: (True, False),
    501: (True, None),
    502: (False, False),
    601: (False, False),
}


@pytest.fixture(scope="module")
def built(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own with the hand-made rows, after `dbt build` and a default-date run."""
    target = tmp_path_factory.mktemp("dbt-target")
    with sandbox(warehouse_url, "canvass_dbt") as url:
        with psycopg.connect(url) as conn:
            insert_raw(conn, ROWS, BATCH)
        dbt(["build", "--vars", "{as_of_date: '2023-03-01'}"], url, target)
        with psycopg.connect(url) as conn:
            conn.execute("create table public.cohort_fixed_date as table marts.ml_scoring_cohort")
        dbt(["run", "--select", "ml_scoring_cohort"], url, target)
        yield url


def _rows(url: str, query: str) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query).fetchall()


def _same(actual: object, expected: object) -> bool:
    if isinstance(expected, float) and actual is not None:
        return abs(float(actual) - expected) < 1e-9
    return actual == expected


def test_every_feature_matches_the_hand_computed_value(built: str) -> None:
    rows = {r["inspection_id"]: r for r in _rows(built, "select * from marts.ml_features")}
    assert set(rows) == set(EXPECTED_FEATURES)
    mismatches = [
        (inspection_id, name, rows[inspection_id][name], value)
        for inspection_id, values in EXPECTED_FEATURES.items()
        for name, value in zip(FEATURES, values, strict=True)
        if not _same(rows[inspection_id][name], value)
    ]
    assert mismatches == []


def test_point_attributes_come_from_the_inspection(built: str) -> None:
    rows = {r["inspection_id"]: r for r in _rows(built, "select * from marts.ml_features")}
    actual = {
        i: (
            r["establishment_id"],
            r["facility_group"],
            r["risk_level"],
            r["inspection_type"],
            r["zip"],
        )
        for i, r in rows.items()
    }
    assert actual == EXPECTED_ATTRIBUTES


def test_labels_match_features_and_hand_values(built: str) -> None:
    rows = _rows(built, "select * from marts.ml_labels")
    actual = {r["inspection_id"]: (r["is_failed"], r["has_critical_violation"]) for r in rows}
    assert actual == EXPECTED_LABELS


def test_staging_drops_the_republished_copy_and_keeps_the_unidentified_row(built: str) -> None:
    rows = {r["inspection_id"]: r for r in _rows(built, "select * from marts.fct_inspections")}
    assert set(rows) == {row[0] for row in ROWS} - {1103}
    assert rows[301]["establishment_id"] is None
    assert rows[401]["license_number"] is None and rows[401]["zip"] == "60602"
    assert rows[401]["dba_name"] == "TACO CART"
    assert (rows[101]["critical_violation_count"], rows[101]["serious_violation_count"]) == (1, 1)
    assert rows[104]["violation_count"] is None  # conditional pass without its violation text
    assert rows[102]["violation_count"] == 0  # clean pass


def test_violations_split_keeps_a_pipe_inside_comments(built: str) -> None:
    rows = _rows(
        built,
        "select violation_number, comments, code_era, severity "
        "from intermediate.int_inspections__violations_split "
        "where inspection_id = 101 order by violation_position",
    )
    assert [tuple(r.values()) for r in rows] == [
        (3, "no policy", "from_2018_07", "serious"),
        (33, "a | b", "from_2018_07", "critical"),
    ]


def test_dim_establishments_summarises_each_establishment(built: str) -> None:
    rows = {
        r["establishment_id"]: r for r in _rows(built, "select * from marts.dim_establishments")
    }
    assert set(rows) == {"1001", "2002", "3003", "4004", UNLICENSED_C}
    assert rows["2002"]["is_out_of_business"] is True
    assert rows["2002"]["last_inspection_date"] == date(2020, 3, 1)
    assert rows["2002"]["last_seen_date"] == date(2020, 12, 1)
    assert rows["1001"]["inspection_count"] == 5
    assert rows["1001"]["last_result"] == "pass"


def test_scoring_cohort_is_due_active_establishments_with_as_of_features(built: str) -> None:
    fixed = _rows(built, "select * from public.cohort_fixed_date")
    # A inspected a month ago (risk 1: due after 6 months), B out of business, C risk 3 inspected
    # within two years, E last seen in 2017 (presumed closed): only D is due.
    assert [r["establishment_id"] for r in fixed] == ["3003"]
    d = fixed[0]
    assert d["as_of_date"] == date(2023, 3, 1)
    assert (d["facility_group"], d["risk_level"], d["inspection_type"], d["zip"]) == (
        "bakery",
        2,
        "canvass",
        "60601",
    )
    expected = (2, 1, 0, 0, 619, 624, "pass", None, 0.5, 0.0, None, 624, 3, 3)
    mismatches = [
        (name, d[name], value)
        for name, value in zip(FEATURES, expected, strict=True)
        if not _same(d[name], value)
    ]
    assert mismatches == []


def test_default_as_of_date_is_the_day_after_the_latest_inspection(built: str) -> None:
    rows = _rows(built, "select establishment_id, as_of_date from marts.ml_scoring_cohort")
    assert [(r["establishment_id"], r["as_of_date"]) for r in rows] == [("3003", date(2023, 2, 2))]


def test_marts_are_readable_by_the_reader_role(built: str) -> None:
    rows = _rows(
        built,
        "select table_name from information_schema.role_table_grants "
        "where grantee = 'canvass_reader' and table_schema = 'marts' and privilege_type = 'SELECT'",
    )
    assert {r["table_name"] for r in rows} >= {
        "fct_inspections",
        "dim_establishments",
        "ml_features",
        "ml_labels",
        "ml_scoring_cohort",
    }


def test_profile_reads_the_settings_environment() -> None:
    """profiles.yml reads exactly the variables Settings.dbt_env() exports."""
    text = (REPO / "profiles.yml").read_text()
    keys = [k for k in get_settings().dbt_env() if k.startswith("CANVASS_")]  # PGOPTIONS: libpq's
    assert keys and all(f"env_var('{key}'" in text for key in keys)
    assert os.path.exists(REPO / "dbt_project.yml")


def test_a_reader_holding_a_mart_cannot_stall_dbt_and_is_named(
    built: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Hardening finding 2: a reader's open transaction made dbt wait 95 s. dbt now gives up after
    its lock timeout, and the session that holds the lock is named with the statement to end it."""
    settings = dataclasses.replace(settings_for(built), dbt_lock_timeout="1s")
    with connect_reader(settings) as reader:
        reader.autocommit = False
        reader.execute("select count(*) from marts.dim_establishments").fetchone()  # holds a lock
        started = time.monotonic()
        invocation = run_dbt(
            ["run", "--select", "dim_establishments"],
            settings,
            target_path=tmp_path_factory.mktemp("dbt-locked"),
        )
        waited = time.monotonic() - started
        assert not invocation.success
        assert any("lock timeout" in (r.get("message") or "") for r in invocation.failures)
        with psycopg.connect(built) as conn:
            holders = lock_holders(conn)
        reader_pid = reader.info.backend_pid
        reader.rollback()
    assert waited < 60  # bounded by the 1 s lock timeout plus dbt's own start-up
    (holder,) = [h for h in holders if h["pid"] == reader_pid]
    assert holder["role"] == "canvass_reader" and "dim_establishments" in holder["tables"]
    assert f"pg_terminate_backend({reader_pid})" in describe_lock_holders(holders)


def test_the_leakage_guard_recounts_zip_rates_and_catches_a_rate_that_saw_its_own_day(
    built: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The guard's zip recount (from per-day counts) agrees with every hand-checked rate, and a rate
    that counted its own day's inspections is returned as a violation."""
    test = ["test", "--select", "assert_no_feature_sees_its_own_inspection_date"]
    every_row = ["--vars", "{leakage_sample_every: 1}"]
    target = tmp_path_factory.mktemp("dbt-leakage")
    dbt([*test, *every_row], built, target)
    # 104's own day (2021-03-01) is a pass: counting it moves its zip rate from 1.0 to 3/4.
    with psycopg.connect(built) as conn:
        conn.execute(
            "update marts.ml_features set zip_fail_rate_365d = 0.75 where inspection_id = 104"
        )
    try:
        invocation = run_dbt([*test, *every_row], settings_for(built), target_path=target)
    finally:
        with psycopg.connect(built) as conn:
            conn.execute(
                "update marts.ml_features set zip_fail_rate_365d = 1.0 where inspection_id = 104"
            )
    assert not invocation.success
    (failure,) = invocation.failures
    assert "assert_no_feature_sees_its_own_inspection_date" in failure["unique_id"]
    assert "Got 1 result" in (failure.get("message") or "")


def test_the_catalogue_bounds_name_each_feature_out_of_range_or_missing(
    built: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One test holds every feature to the catalogue's bounds (seed feature_catalogue: required,
    min_value, max_value) and returns one row per feature and fault with the rows at fault."""
    test = ["test", "--select", "ml_features,test_name:within_catalogue_bounds"]
    target = tmp_path_factory.mktemp("dbt-bounds")
    dbt(test, built, target)
    faults = {
        "fail_rate_1y": (1.5, "above 1"),
        "days_since_last_inspection": (0, "below 1"),  # would have seen its own date
        "facility_group": (None, "null"),
        "inspection_month": (13, "above 12"),
    }
    with psycopg.connect(built) as conn:
        before = conn.execute(
            f"select {', '.join(faults)} from marts.ml_features where inspection_id = 104"
        ).fetchone()
        for column, (value, _) in faults.items():
            conn.execute(
                f"update marts.ml_features set {column} = %s where inspection_id = 104", (value,)
            )
    try:
        invocation = run_dbt(test, settings_for(built), target_path=target)
        (compiled,) = target.glob("compiled/**/within_catalogue_bounds_ml_features_*.sql")
        found = _rows(built, compiled.read_text())
    finally:
        with psycopg.connect(built) as conn:
            for column, value in zip(faults, before, strict=True):
                conn.execute(
                    f"update marts.ml_features set {column} = %s where inspection_id = 104",
                    (value,),
                )
    assert not invocation.success
    (failure,) = invocation.failures
    assert "Got 4 results" in (failure.get("message") or "")
    assert {(r["feature"], r["fault"], r["failing_rows"]) for r in found} == {
        (column, fault, 1) for column, (_, fault) in faults.items()
    }
