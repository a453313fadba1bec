"""Hand-made warehouse rows for the delivery tests (API, dashboard, browser): no tests here.

Each delivery test module gets its own database on the session's server, so the marts tables made
here never meet the ones dbt builds in the shared session database, and other tests' scores never
change what these tests rank. The core marts the delivery layer reads (dim_establishments,
fct_inspections, ml_scoring_cohort) are hand-made tables following their contract; the ml rows are
written as the ML library writes them; then the real dbt delivery layer (the ml staging views and
marts.dim_scoring_runs, fct_rankings, fct_ranking_explanations, dim_models) is built on them, so the
apps are tested against the SQL they read in production. dbt runs once per session and kind
(seeded or empty): later databases are copies of that template (`create database ... template`).

Runs:
- model-new scored 2024-03-01 (latest scored_at): 1001, 1002, 1003, an unlicensed cart, 1005.
- model-new scored 2024-02-01: 1004, 1001.
- model-old scored 2024-01-01 (oldest scored_at): 1005, 1001, 1006.
model-new is calibrated (isotonic on window model-w2): its probabilities are half its scores.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from support.dbt_sandbox import dbt
from warehouse.migrate import migrate
from warehouse.settings import READER_ROLE, Settings, get_settings, parse_database_url

UNLICENSED_ID = "unlicensed-5f1c0d2e9a7b4c3d8e6f1a2b3c4d5e6f"

MARTS_DDL = """
create table marts.dim_establishments (
    establishment_id text primary key,
    license_number bigint,
    establishment_name text,
    dba_name text,
    aka_name text,
    facility_type text,
    facility_group text,
    risk_level integer,
    address text,
    zip text,
    latitude double precision,
    longitude double precision,
    first_seen_date date,
    last_seen_date date,
    last_inspection_date date,
    last_result text,
    is_out_of_business boolean,
    inspection_count integer
);
create table marts.fct_inspections (
    inspection_id bigint primary key,
    establishment_id text not null,
    license_number bigint,
    dba_name text,
    facility_type text,
    facility_group text,
    risk_level integer,
    address text,
    zip text,
    latitude double precision,
    longitude double precision,
    inspection_date date not null,
    inspection_type text,
    result text,
    is_failed boolean,
    violation_count integer,
    critical_violation_count integer,
    serious_violation_count integer,
    minor_violation_count integer
);
create table marts.ml_scoring_cohort (
    establishment_id text not null,
    license_number bigint,
    as_of_date date not null,
    facility_group text,
    risk_level integer,
    inspection_type text,
    zip text,
    prior_inspections integer,
    prior_fails integer,
    prior_critical_violations integer,
    prior_serious_violations integer,
    days_since_last_inspection integer,
    days_since_last_fail integer,
    last_result text,
    fail_rate_1y double precision,
    fail_rate_3y double precision,
    zip_fail_rate_365d double precision,
    facility_group_fail_rate_365d double precision,
    days_since_first_seen integer,
    inspection_month integer,
    inspection_weekday integer
)
"""

# establishment_id, license, name, facility_type, group, risk, address, zip, lat, lon,
# last_inspection_date (latest pass/fail), last_result and last_seen_date (latest visit of any result)
ESTABLISHMENTS = [
    ("1001", 1001, "ALPHA GRILL", "Restaurant", "restaurant", 1, "100 W RANDOLPH ST", "60601",
     41.8847, -87.6315, date(2023, 6, 1), "fail", date(2023, 6, 1)),
    ("1002", 1002, "BRAVO GROCERY", "Grocery Store", "grocery", 2, "200 N STATE ST", "60601",
     41.8858, -87.6278, date(2023, 9, 12), "pass_with_conditions",
     date(2023, 9, 12)),
    ("1003", 1003, "CHARLIE SCHOOL CAFETERIA", "School", "school", 1, "2300 N LINCOLN AVE",
     "60614", 41.9245, -87.6478, date(2023, 4, 20), "pass", date(2023, 4, 20)),
    ("1004", 1004, "DELTA BAKERY", "Bakery", "bakery", 2, "1800 N HALSTED ST", "60614",
     41.9140, -87.6487, date(2024, 2, 15), "pass", date(2024, 2, 15)),
    ("1005", 1005, "ECHO TAQUERIA", "Restaurant", "restaurant", 1, "1500 N MILWAUKEE AVE",
     "60622", 41.9090, -87.6773, date(2023, 11, 2), "not_ready", date(2024, 1, 10)),
    ("1006", 1006, "FOXTROT DINER", "Restaurant", "restaurant", 1, "900 W FULTON MKT", "60607",
     41.8866, -87.6497, date(2023, 12, 5), "pass", date(2023, 12, 5)),
    (UNLICENSED_ID, None, "GOLF HOT DOG CART", "Mobile Food Dispenser", "mobile", None,
     "1200 N ASHLAND AVE", "60622", None, None, None, None, None),
]  # fmt: skip

# inspection_id, establishment_id, license, date, type, result, is_failed, violations, critical
INSPECTIONS = [
    (9001, "1001", 1001, date(2021, 5, 3), "canvass", "pass", False, 2, 0),
    (9002, "1001", 1001, date(2022, 5, 10), "canvass", "fail", True, 6, 2),
    (9003, "1001", 1001, date(2022, 5, 24), "canvass_reinspection", "pass", False, 1, 0),
    (9004, "1001", 1001, date(2023, 6, 1), "complaint", "fail", True, 5, 1),
    (9005, "1002", 1002, date(2023, 9, 12), "canvass", "pass_with_conditions", False, 3, 0),
    (9006, "1003", 1003, date(2023, 4, 20), "canvass", "pass", False, 0, 0),
    (9007, "1004", 1004, date(2024, 2, 15), "canvass", "pass", False, 1, 0),
    (9008, "1005", 1005, date(2023, 11, 2), "license", "pass", False, 0, 0),
    (9010, "1005", 1005, date(2024, 1, 10), "canvass", "not_ready", None, 0, 0),
    (9009, "1006", 1006, date(2023, 12, 5), "canvass", "pass", False, 0, 0),
]

T_OLD = datetime(2024, 1, 1, 6, tzinfo=UTC)
T_FEB = datetime(2024, 2, 1, 6, tzinfo=UTC)
T_MAR = datetime(2024, 3, 1, 6, tzinfo=UTC)

# model_id, establishment_id, license, as_of_date, score, rank, scored_at
SCORES = [
    ("model-new", "1001", 1001, date(2024, 3, 1), 0.91, 1, T_MAR),
    ("model-new", "1002", 1002, date(2024, 3, 1), 0.75, 2, T_MAR),
    ("model-new", "1003", 1003, date(2024, 3, 1), 0.60, 3, T_MAR),
    ("model-new", UNLICENSED_ID, None, date(2024, 3, 1), 0.35, 4, T_MAR),
    ("model-new", "1005", 1005, date(2024, 3, 1), 0.22, 5, T_MAR),
    ("model-new", "1004", 1004, date(2024, 2, 1), 0.50, 1, T_FEB),
    ("model-new", "1001", 1001, date(2024, 2, 1), 0.45, 2, T_FEB),
    ("model-old", "1005", 1005, date(2024, 1, 1), 0.80, 1, T_OLD),
    ("model-old", "1001", 1001, date(2024, 1, 1), 0.30, 2, T_OLD),
    ("model-old", "1006", 1006, date(2024, 1, 1), 0.20, 3, T_OLD),
]

# establishment_id, license, prior_inspections, prior_fails, days_since_last_inspection,
# days_since_last_fail, last_result, fail_rate_1y
COHORT = [
    ("1001", 1001, 4, 2, 274, 274, "fail", 1.0),
    ("1002", 1002, 1, 0, 171, None, "pass_with_conditions", 0.0),
    ("1003", 1003, 1, 0, 316, None, "pass", 0.0),
    (UNLICENSED_ID, None, 0, 0, None, None, None, None),
    ("1005", 1005, 1, 0, 120, None, "pass", 0.0),
]


def reader_settings(url: str) -> Settings:
    """Settings pointing every connection (writer and reader) at the database `url`."""
    return dataclasses.replace(get_settings(), database_url=url, reader_database_url=None)


_TEMPLATES: dict[bool, str] = {}  # seeded? -> template database name, made once per session
# the catalogue seed too (the apps read its labels), but not its tests against the feature marts
# (not here)
DELIVERY_SELECTION = [
    "build",
    "--select",
    "feature_catalogue",
    "source:ml+",
    "source:monitoring+",
    "+fct_dbt_runs",
    "--exclude",
    "assert_feature_marts_match_the_catalogue",
    "test_name:within_catalogue_bounds",
]


def _build_template(warehouse_url: str, seed: bool) -> str:
    admin = parse_database_url(warehouse_url)
    name = f"canvass_delivery_template_{'seeded' if seed else 'empty'}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = admin.url(database=name)
    with psycopg.connect(url) as conn:
        migrate(conn)
        conn.execute(MARTS_DDL)
        if seed:
            seed_rows(conn)
        conn.execute(
            sql.SQL("grant select on all tables in schema marts to {}").format(
                sql.Identifier(READER_ROLE)
            )
        )
    with tempfile.TemporaryDirectory(prefix="canvass-delivery-dbt-") as target:
        dbt(DELIVERY_SELECTION, url, Path(target))
    return name


def create_delivery_database(warehouse_url: str, *, seed: bool = True) -> str:
    """A new migrated database on the session's server with the marts the apps read (built by
    dbt's delivery layer over hand-made rows when `seed`, over empty tables otherwise)."""
    if seed not in _TEMPLATES:
        _TEMPLATES[seed] = _build_template(warehouse_url, seed)
    template = _TEMPLATES[seed]
    admin = parse_database_url(warehouse_url)
    name = f"canvass_delivery_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        # a template may have no other session; dbt's pool may linger for a moment
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = %s and pid <> pg_backend_pid()",
            [template],
        )
        conn.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return admin.url(database=name)


def drop_delivery_database(warehouse_url: str, url: str) -> None:
    admin = parse_database_url(warehouse_url)
    name = parse_database_url(url).database
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def seed_rows(conn: psycopg.Connection) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into marts.dim_establishments (
                establishment_id, license_number, dba_name, facility_type, facility_group,
                risk_level, address, zip, latitude, longitude, last_inspection_date, last_result,
                first_seen_date, last_seen_date, is_out_of_business, inspection_count,
                establishment_name
            )
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, date '2021-01-01',
                    %s, false, 1, %s)
            """,
            [(*e, e[2]) for e in ESTABLISHMENTS],
        )
        by_id = {e[0]: e for e in ESTABLISHMENTS}
        cur.executemany(
            """
            insert into marts.fct_inspections (
                inspection_id, establishment_id, license_number, inspection_date,
                inspection_type, result, is_failed, violation_count, critical_violation_count,
                serious_violation_count, minor_violation_count, dba_name, facility_type,
                facility_group, risk_level, address, zip
            )
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, 0, %s, %s, %s, %s, %s, %s)
            """,
            [(*i, *(by_id[i[1]][k] for k in (2, 3, 4, 5, 6, 7))) for i in INSPECTIONS],
        )
        cur.executemany(
            """
            insert into marts.ml_scoring_cohort (
                establishment_id, license_number, prior_inspections, prior_fails,
                days_since_last_inspection, days_since_last_fail, last_result, fail_rate_1y,
                as_of_date, facility_group, risk_level, zip, inspection_type,
                prior_critical_violations, prior_serious_violations, fail_rate_3y,
                zip_fail_rate_365d, facility_group_fail_rate_365d, days_since_first_seen,
                inspection_month, inspection_weekday
            )
            values (%s, %s, %s, %s, %s, %s, %s, %s, date '2024-03-01', %s, %s, %s, 'canvass',
                    %s, 0, %s, 0.25, 0.2, 1155, 3, 5)
            """,
            [(*c, by_id[c[0]][4], by_id[c[0]][5], by_id[c[0]][7], c[3], c[7]) for c in COHORT],
        )
        cur.execute(
            "insert into ml.experiments (experiment_hash, config) values ('exp-1', %s)",
            [json.dumps({"random_seed": 1})],
        )
        cur.execute(
            """
            insert into ml.model_groups (model_group_id, algorithm, hyperparameters,
                                         feature_list, label)
            values ('group-1', 'sklearn.ensemble.RandomForestClassifier', '{}',
                    array['prior_fails', 'days_since_last_inspection', 'zip', 'fail_rate_1y',
                          'last_result'], 'is_failed')
            """
        )
        cur.executemany(
            """
            insert into ml.models (model_id, model_group_id, experiment_hash, train_end,
                                   train_rows, artifact_path, artifact_sha256,
                                   training_seconds, random_seed, library_versions,
                                   is_deployable)
            values (%s, 'group-1', 'exp-1', %s, 100, %s, 'sha', 1.0, 1, '{}', true)
            """,
            [
                ("model-old", date(2023, 12, 1), "artifacts/model-old.joblib"),
                ("model-new", date(2024, 1, 1), "artifacts/model-new.joblib"),
            ],
        )
        cur.execute(
            """
            insert into ml.selections (experiment_hash, model_group_id, deployed_model_id, rule,
                                       metric, value, selected_at)
            values ('exp-1', 'group-1', 'model-new', 'best_average', 'mean:precision@10_pct',
                    0.4, %s)
            """,
            [T_FEB],
        )
        cur.executemany(
            """
            insert into ml.deployments (model_id, experiment_hash, model_group_id, rule,
                                        deployed_at)
            values (%s, 'exp-1', 'group-1', 'best_average', %s)
            """,
            [("model-old", T_OLD), ("model-new", T_FEB)],
        )
        cur.executemany(
            "insert into ml.model_versions (model_id, experiment_hash, model_group_id, rule, "
            "description, card, registered_by) values (%s, 'exp-1', 'group-1', 'best_average', "
            "%s, %s, 'selection')",
            [
                ("model-old", "the first model", ""),
                ("model-new", "the second model", "# Model card: version 2 (model-new)\n"),
            ],
        )
        cur.executemany(
            """
            insert into ml.feature_importances
                (model_id, feature, importance, rank_abs, source_feature)
            values ('model-new', %s, %s, %s, %s)
            """,
            [  # encoded columns as sklearn names them; the two zips add up to `zip`
                ("num__prior_fails", 0.40, 1, "prior_fails"),
                ("num__days_since_last_inspection", 0.30, 2, "days_since_last_inspection"),
                ("num__fail_rate_1y", 0.15, 3, "fail_rate_1y"),
                ("cat__zip_60601", 0.10, 4, "zip"),
                ("cat__zip_60614", 0.05, 5, "zip"),
            ],
        )
        seed_evaluations(cur)
        cur.executemany(
            """
            insert into ml.scores (model_id, establishment_id, license_number, as_of_date,
                                   score, rank_abs, scored_at)
            values (%s, %s, %s, %s, %s, %s, %s)
            """,
            SCORES,
        )
        # model-new's calibration halves its scores (isotonic, fitted on window w2)
        cur.execute("update ml.scores set probability = score / 2 where model_id = 'model-new'")
        cur.execute(
            "insert into ml.calibrations (model_id, method, fitted_on_model_id, fitted_rows, "
            "fitted_positive_rate, curve_scores, curve_probabilities, ece_before, ece_after) "
            "values ('model-new', 'isotonic', 'model-w2', 80, 0.25, array[0.0, 1.0], "
            "array[0.0, 0.5], 0.081234, 0.031234)"
        )
        seed_monitoring(cur)


def seed_evaluations(cur: psycopg.Cursor) -> None:
    """Two cross-validation windows of group-1 (precision@10% 0.5 and 0.3, mean 0.4) against the
    random baseline (0.2 and 0.25), and group-1's selection-time FNR audit of zip 60601 (1.1)."""
    cur.executemany(
        """
        insert into ml.models (model_id, model_group_id, experiment_hash, train_end, test_start,
                               test_end, train_rows, artifact_path, artifact_sha256,
                               training_seconds, random_seed, library_versions)
        values (%s, 'group-1', 'exp-1', %s, %s, %s, 80, 'artifacts/cv.joblib', 'sha', 1.0, 1,
                '{}')
        """,
        [
            ("model-w1", date(2023, 10, 1), date(2023, 10, 1), date(2023, 11, 1)),
            ("model-w2", date(2023, 11, 1), date(2023, 11, 1), date(2023, 12, 1)),
        ],
    )
    cur.executemany(
        "insert into ml.experiment_models (experiment_hash, model_id, role) values ('exp-1', %s, %s)",
        [("model-w1", "cv"), ("model-w2", "cv"), ("model-new", "deployed")],
    )
    cur.executemany(
        "insert into ml.evaluations (model_id, metric, parameter, value) values (%s, %s, %s, %s)",
        [
            ("model-w1", "precision@", "10_pct", 0.5),
            ("model-w2", "precision@", "10_pct", 0.3),
            ("model-w1", "days_earlier", "", 4.0),
            ("model-w2", "days_earlier", "", 2.0),
        ],
    )
    cur.executemany(
        "insert into ml.baseline_evaluations (experiment_hash, baseline, test_start, test_end, "
        "metric, parameter, value) values ('exp-1', 'random', %s, %s, 'precision@', '10_pct', %s)",
        [
            (date(2023, 10, 1), date(2023, 11, 1), 0.2),
            (date(2023, 11, 1), date(2023, 12, 1), 0.25),
        ],
    )
    cur.execute(
        "insert into ml.bias_audits (model_id, threshold, attribute_name, attribute_value, metric, "
        "group_size, group_label_pos, predicted_pos, value, reference_group, disparity, is_fair) "
        "values ('model-w2', 'top_10_pct', 'zip', '60601', 'fnr', 20, 5, 3, 0.55, '60614', 1.1, "
        "true)"
    )


MONITOR_RUN = uuid.UUID("00000000-0000-4000-8000-00000000b0a2")
OLD_MONITOR_RUN = uuid.UUID("00000000-0000-4000-8000-00000000b0a1")


def seed_monitoring(cur: psycopg.Cursor) -> None:
    """Two monitor runs (the older one all green), the newer one with one breached SLA, drift of
    the 2024-03-01 run, and realised performance of the 2024-02-01 run."""
    cur.executemany(
        "insert into monitoring.runs (monitor_run_id, as_of_date, model_id, clock, started_at, "
        "finished_at, status) values (%s, %s, 'model-new', %s, %s, %s, %s)",
        [
            (OLD_MONITOR_RUN, date(2024, 2, 1), T_FEB, T_FEB, T_FEB, "ok"),
            (MONITOR_RUN, date(2024, 3, 1), T_MAR, T_MAR, T_MAR, "breach"),
        ],
    )
    cur.executemany(
        "insert into monitoring.sla_checks (monitor_run_id, check_name, kind, passed, status, "
        "value, threshold_value, unit, detail, checked_at) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (
                OLD_MONITOR_RUN,
                "freshness.newest_inspection",
                "freshness",
                True,
                "ok",
                2.0,
                14.0,
                "days",
                "newest inspection 2024-01-30",
                T_FEB,
            ),
            (
                MONITOR_RUN,
                "freshness.newest_inspection",
                "freshness",
                False,
                "breach",
                20.0,
                14.0,
                "days",
                "newest inspection 2024-02-10",
                T_MAR,
            ),
            (
                MONITOR_RUN,
                "time_to_completion.train",
                "time_to_completion",
                True,
                "ok",
                31.5,
                2400.0,
                "seconds",
                "run of 2024-03-01 00:00",
                T_MAR,
            ),
        ],
    )
    cur.executemany(
        "insert into monitoring.drift (as_of_date, model_id, comparison, feature, statistic, "
        "value, warn_at, alert_at, status, detail, reference_rows, current_rows, monitor_run_id) "
        "values ('2024-03-01', 'model-new', %s, %s, %s, %s, %s, %s, %s, '', 100, 5, %s)",
        [
            ("previous_run", "prior_fails", "psi", 0.31234567, 0.1, 0.25, "alert", MONITOR_RUN),
            ("previous_run", "prior_fails", "ks", 0.05, 0.1, 0.2, "ok", MONITOR_RUN),
            ("training", "zip", "js_distance", 0.12, 0.1, 0.2, "warn", MONITOR_RUN),
        ],
    )
    cur.executemany(
        "insert into monitoring.fairness (as_of_date, model_id, attribute_name, attribute_value, "
        "metric, group_size, value, reference_group, disparity, is_fair, monitor_run_id) "
        "values ('2024-02-01', 'model-new', 'zip', %s, 'fnr', %s, %s, '60614', %s, %s, %s)",
        [
            ("60601", 3, 0.9, 1.5, False, MONITOR_RUN),
            ("60614", 4, 0.6, 1.0, True, MONITOR_RUN),
        ],
    )
    cur.executemany(
        "insert into monitoring.performance (as_of_date, model_id, cut, ranked, inspected, failed, "
        "realised_precision, base_rate, promised_precision, expected_precision, "
        "expected_precision_inspected, estimate_status, labels_through, monitor_run_id) "
        "values ('2024-02-01', 'model-new', %s, %s, %s, %s, %s, 0.4, %s, %s, %s, %s, "
        "'2024-02-28', %s)",
        [
            ("10_pct", 1, 1, 1, 1.0, 0.35, 0.5, 0.6, "unknown", MONITOR_RUN),
            ("capacity", 2, 1, 0, 0.0, 0.3, 0.45, 0.4, "unknown", MONITOR_RUN),
        ],
    )
