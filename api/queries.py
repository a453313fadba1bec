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
        rankings.probability,
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
        runs.scored_establishments,
        runs.scored_at
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

# The ranking's filters: each applies when its parameter is given (null: every row).
_RANKING_FILTERS = """
    where rankings.model_id = %(model_id)s
        and rankings.as_of_date = %(as_of_date)s
        and (%(facility_group)s::text is null or rankings.facility_group = %(facility_group)s)
        and (%(zip)s::text is null or rankings.zip = %(zip)s)
        and (%(risk_level)s::integer is null or rankings.risk_level = %(risk_level)s)"""

TOP_ESTABLISHMENTS = sql.SQL(
    """
{ranked}
{filters}
    order by rankings.score_rank, rankings.establishment_id
    limit %(limit)s
    offset %(offset)s
"""
).format(ranked=_RANKED_ESTABLISHMENTS, filters=sql.SQL(_RANKING_FILTERS))

TOP_MATCHING = sql.SQL(
    """
    select count(*) as matching
    from marts.fct_rankings as rankings
{filters}
"""
).format(filters=sql.SQL(_RANKING_FILTERS))

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

# The features of the license's row in the current ranking, heaviest weight first.
EXPLANATION = """
    select
        explanations.model_id,
        explanations.as_of_date,
        explanations.establishment_id,
        explanations.score_rank,
        explanations.features_as_of_date,
        explanations.feature,
        explanations.feature_label,
        explanations.feature_unit,
        explanations.feature_group,
        explanations.feature_value,
        explanations.model_weight,
        explanations.weight_rank
    from marts.fct_ranking_explanations as explanations
    inner join marts.fct_rankings as rankings
        on
            rankings.is_current_run
            and explanations.model_id = rankings.model_id
            and explanations.as_of_date = rankings.as_of_date
            and explanations.establishment_id = rankings.establishment_id
    where rankings.license_number = %(license_number)s
    order by explanations.weight_rank nulls last, explanations.feature
"""

# A model of the registry: the given id, else (null) the deployed one; columns named as the API
# names them (its card is served on its own, by /models/.../card).
MODEL = """
    select
        models.model_id,
        models.model_group_id,
        models.algorithm,
        models.estimator_class_path,
        models.hyperparameters,
        models.label,
        models.train_start_date,
        models.train_end_date,
        models.test_start_date,
        models.test_end_date,
        models.train_rows,
        coalesce(models.is_trained_on_all_rows, false) as is_trained_on_all_rows,
        models.trained_at,
        models.deployed_at,
        models.selection_rule,
        models.selection_reason,
        models.calibration_method,
        models.calibration_rows,
        models.calibration_ece_before,
        models.calibration_ece_after,
        models.model_version as version,
        models.version_description as description,
        coalesce(models.model_alias, '') as alias,
        models.model_card,
        models.is_deployed
    from marts.dim_models as models
    where
        (%(model_id)s::text is null and models.is_deployed)
        or models.model_id = %(model_id)s
"""

# How the model's group did in cross-validation, beside the baselines of the same experiment: the
# experiment of the current deployment when it evaluated the group, else the newest that did.
MODEL_EVALUATIONS = """
    with

    chosen_experiment as (
        select evaluations.experiment_hash
        from marts.fct_model_evaluations as evaluations
        where
            evaluations.candidate_kind = 'model'
            and evaluations.candidate_id = %(model_group_id)s
        group by evaluations.experiment_hash
        order by
            bool_or(evaluations.is_latest_experiment) desc,
            max(evaluations.test_end_date) desc,
            evaluations.experiment_hash
        limit 1
    )

    select
        evaluations.experiment_hash,
        evaluations.candidate_kind,
        evaluations.candidate_id,
        evaluations.metric,
        evaluations.parameter,
        avg(evaluations.metric_value) as mean_value,
        min(evaluations.metric_value) as min_value,
        max(evaluations.metric_value) as max_value,
        count(*) as windows,
        min(evaluations.test_start_date) as first_test_start_date,
        max(evaluations.test_end_date) as last_test_end_date
    from marts.fct_model_evaluations as evaluations
    inner join chosen_experiment
        on evaluations.experiment_hash = chosen_experiment.experiment_hash
    where
        evaluations.candidate_kind = 'baseline'
        or evaluations.candidate_id = %(model_group_id)s
    group by
        evaluations.experiment_hash,
        evaluations.candidate_kind,
        evaluations.candidate_id,
        evaluations.metric,
        evaluations.parameter
    order by
        evaluations.candidate_kind desc,
        evaluations.candidate_id,
        evaluations.metric,
        evaluations.parameter
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
