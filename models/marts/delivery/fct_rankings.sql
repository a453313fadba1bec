-- Grain: one establishment ranked in one scoring run (model_id, as_of_date), with what a person
-- needs to act on it: the one display name (dim_establishments.establishment_name), the address,
-- the last visit of any result together with that visit's result, and whether the run is the one
-- served now (dim_scoring_runs.is_current).
with

scores as (
    select
        model_id,
        as_of_date,
        establishment_id,
        license_number,
        score,
        probability,
        score_rank,
        scored_at
    from {{ ref('stg_ml__scores') }}
),

runs as (
    select
        model_id,
        as_of_date,
        is_current
    from {{ ref('dim_scoring_runs') }}
),

establishments as (
    select
        establishment_id,
        establishment_name,
        address,
        zip,
        facility_type,
        facility_group,
        risk_level,
        latitude,
        longitude,
        last_inspection_date,
        last_seen_date,
        last_result
    from {{ ref('dim_establishments') }}
),

ranked as (
    select
        scores.model_id,
        scores.as_of_date,
        scores.establishment_id,
        scores.license_number,
        scores.score_rank,
        scores.score,
        scores.probability,
        establishments.establishment_name,
        establishments.address,
        establishments.zip,
        establishments.facility_type,
        establishments.facility_group,
        establishments.risk_level,
        establishments.latitude,
        establishments.longitude,
        establishments.last_inspection_date,
        -- the latest visit of any result, so the date and last_result describe the same record
        establishments.last_seen_date as last_visit_date,
        establishments.last_result,
        scores.scored_at,
        runs.is_current as is_current_run
    from scores
    inner join runs
        on
            scores.model_id = runs.model_id
            and scores.as_of_date = runs.as_of_date
    left join establishments
        on scores.establishment_id = establishments.establishment_id
)

select * from ranked
