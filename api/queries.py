"""Every SQL statement the API runs, in one place: parameterized, over the delivery marts only.

"The current scoring run" is defined once, in dbt (`marts.dim_scoring_runs.is_current`); the API
reads it, and reads rankings from `marts.fct_rankings`. Where `%(as_of)s` is given, the run is the
one of that as-of date written most recently.
"""

from __future__ import annotations

from psycopg import sql

# The columns of an EstablishmentScore, from marts.fct_rankings (a constant, never user input).
_RANKED_ESTABLISHMENTS = sql.SQL("""
    select
        rankings.license_number,
        rankings.establishment_id,
        rankings.establishment_name as name,
        rankings.address,
        rankings.zip,
        rankings.facility_type,
        rankings.facility_group,
        rankings.risk_level,
        rankings.last_inspection_date,
        rankings.last_visit_date,
        rankings.last_result,
        rankings.score,
        rankings.score_rank as rank,
        rankings.as_of_date,
        rankings.model_id,
        rankings.scored_at
    from marts.fct_rankings as rankings""")

HEALTH = """
    select
        (select runs.model_id from marts.dim_scoring_runs as runs where runs.is_current)
            as scoring_model_id,
        (select runs.as_of_date from marts.dim_scoring_runs as runs where runs.is_current)
            as latest_as_of_date,
        (select max(runs.scored_at) from marts.dim_scoring_runs as runs) as last_scored_at,
        (select models.model_id from marts.dim_models as models where models.is_deployed)
            as deployed_model_id
"""

CURRENT_RUN = """
    select
        runs.model_id,
        runs.as_of_date,
        runs.scored_establishments
    from marts.dim_scoring_runs as runs
    where
        (%(as_of)s::date is null and runs.is_current)
        or runs.as_of_date = %(as_of)s::date
    order by runs.scored_at desc, runs.model_id
    limit 1
"""

SCORED_DATES = """
    select
        min(runs.as_of_date) as first_date,
        max(runs.as_of_date) as last_date
    from marts.dim_scoring_runs as runs
"""

TOP_ESTABLISHMENTS = sql.SQL(
    """
{ranked}
    where rankings.model_id = %(model_id)s
        and rankings.as_of_date = %(as_of_date)s
    order by rankings.score_rank, rankings.establishment_id
    limit %(limit)s
"""
).format(ranked=_RANKED_ESTABLISHMENTS)

# The license's newest score from the current run's model.
ESTABLISHMENT_SCORE = sql.SQL(
    """
{ranked}
    inner join marts.dim_scoring_runs as current_run
        on current_run.is_current and rankings.model_id = current_run.model_id
    where rankings.license_number = %(license_number)s
    order by rankings.as_of_date desc
    limit 1
"""
).format(ranked=_RANKED_ESTABLISHMENTS)

ESTABLISHMENT_BY_LICENSE = """
    select
        establishments.establishment_id,
        establishments.license_number,
        establishments.establishment_name as name,
        establishments.address
    from marts.dim_establishments as establishments
    where establishments.license_number = %(license_number)s
    order by establishments.last_seen_date desc nulls last
    limit 1
"""

INSPECTIONS = """
    select
        inspections.inspection_id,
        inspections.inspection_date,
        inspections.inspection_type,
        inspections.result,
        inspections.is_failed,
        inspections.risk_level,
        inspections.violation_count,
        inspections.critical_violation_count,
        inspections.serious_violation_count,
        inspections.minor_violation_count
    from marts.fct_inspections as inspections
    where inspections.license_number = %(license_number)s
    order by inspections.inspection_date desc, inspections.inspection_id desc
    limit %(limit)s
"""

SLA_BOARD = """
    select
        checks.sla_name,
        checks.sla_kind,
        checks.sla_status,
        checks.measured_value,
        checks.threshold_value,
        checks.unit,
        checks.detail,
        checks.measured_as_of,
        checks.monitored_at,
        checks.monitor_status
    from marts.fct_sla_checks as checks
    where checks.is_latest
    order by checks.sla_kind, checks.sla_name
"""

DRIFT = """
    select
        drift.as_of_date,
        drift.model_id,
        drift.comparison,
        drift.feature,
        drift.statistic,
        drift.statistic_value,
        drift.warn_at,
        drift.alert_at,
        drift.drift_status,
        drift.detail
    from marts.fct_feature_drift as drift
    where drift.as_of_date = coalesce(
        %(as_of)s::date,
        (select max(latest.as_of_date) from marts.fct_feature_drift as latest)
    )
    order by drift.comparison, drift.feature, drift.statistic
"""

PERFORMANCE = """
    select
        performance.as_of_date,
        performance.model_id,
        performance.cut,
        performance.establishments_ranked,
        performance.establishments_inspected,
        performance.establishments_failed,
        performance.realised_precision,
        performance.promised_precision,
        performance.precision_gap,
        performance.expected_precision,
        performance.expected_precision_inspected,
        performance.estimate_gap,
        performance.estimate_status,
        performance.base_rate,
        performance.share_inspected,
        performance.labels_through
    from marts.fct_model_performance as performance
    order by performance.as_of_date desc, performance.model_id, performance.cut
    limit %(limit)s
"""
