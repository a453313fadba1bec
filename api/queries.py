"""Every SQL statement the API runs, in one place: parameterized, fragments shared via psycopg.sql.

"The current scoring run" is the latest `as_of_date` of the model that scored most recently
(the newest `scored_at` in `ml.scores`). Where `%(as_of)s` is given, it narrows the run to that
as-of date: the model that most recently scored that date.
"""

from __future__ import annotations

from psycopg import sql

# Fragments the statements below share (constants, never user input).
_LATEST_MODEL = sql.SQL("""
    latest_model as (
        select scores.model_id
        from ml.scores as scores
        order by scores.scored_at desc, scores.as_of_date desc
        limit 1
    )""")

_SCORED_ESTABLISHMENTS = sql.SQL("""
    select
        scores.license_number,
        scores.establishment_id,
        establishments.dba_name as name,
        establishments.address,
        establishments.zip,
        establishments.facility_type,
        establishments.facility_group,
        establishments.risk_level,
        establishments.last_inspection_date,
        establishments.last_seen_date as last_visit_date,
        establishments.last_result,
        scores.score,
        scores.rank_abs as rank,
        scores.as_of_date,
        scores.model_id,
        scores.scored_at
    from ml.scores as scores
    left join marts.dim_establishments as establishments
        on scores.establishment_id = establishments.establishment_id""")

HEALTH = sql.SQL(
    """
    with
{latest_model},

    latest_deployment as (
        select selections.deployed_model_id
        from ml.selections as selections
        where selections.deployed_model_id is not null
        order by selections.selected_at desc, selections.selection_id desc
        limit 1
    )

    select
        (select latest_model.model_id from latest_model) as scoring_model_id,
        (
            select max(scores.as_of_date)
            from ml.scores as scores
            inner join latest_model on scores.model_id = latest_model.model_id
        ) as latest_as_of_date,
        (select max(scores.scored_at) from ml.scores as scores) as last_scored_at,
        (select latest_deployment.deployed_model_id from latest_deployment) as deployed_model_id
"""
).format(latest_model=_LATEST_MODEL)

CURRENT_RUN = """
    with
    latest_model as (
        select scores.model_id
        from ml.scores as scores
        where %(as_of)s::date is null or scores.as_of_date = %(as_of)s::date
        order by scores.scored_at desc, scores.as_of_date desc
        limit 1
    ),

    current_run as (
        select
            scores.model_id,
            max(scores.as_of_date) as as_of_date
        from ml.scores as scores
        inner join latest_model on scores.model_id = latest_model.model_id
        where %(as_of)s::date is null or scores.as_of_date = %(as_of)s::date
        group by scores.model_id
    )

    select
        current_run.model_id,
        current_run.as_of_date,
        (
            select count(*)
            from ml.scores as scores
            where scores.model_id = current_run.model_id
                and scores.as_of_date = current_run.as_of_date
        ) as scored_establishments
    from current_run
"""

TOP_ESTABLISHMENTS = sql.SQL(
    """
{scored_establishments}
    where scores.model_id = %(model_id)s
        and scores.as_of_date = %(as_of_date)s
    order by scores.rank_abs, scores.establishment_id
    limit %(limit)s
"""
).format(scored_establishments=_SCORED_ESTABLISHMENTS)

# The license's newest score from the model that scored most recently.
ESTABLISHMENT_SCORE = sql.SQL(
    """
    with
{latest_model}

{scored_establishments}
    inner join latest_model on scores.model_id = latest_model.model_id
    where scores.license_number = %(license_number)s
    order by scores.as_of_date desc
    limit 1
"""
).format(latest_model=_LATEST_MODEL, scored_establishments=_SCORED_ESTABLISHMENTS)

ESTABLISHMENT_BY_LICENSE = """
    select
        establishments.establishment_id,
        establishments.license_number,
        establishments.dba_name as name,
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
