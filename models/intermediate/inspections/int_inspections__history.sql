-- Grain: one inspection of an identified establishment, with that establishment's history as of
-- the inspection date, from strictly earlier dates (macro as_of_features: the same definition
-- ml_scoring_cohort uses). Zip and facility-group rates draw on every inspection, identified or not.
with

inspections as (
    select
        inspection_id,
        establishment_id,
        zip,
        facility_group,
        inspection_date,
        result,
        is_failed
    from {{ ref('stg_chicago__inspections') }}
),

violation_counts as (
    select
        inspection_id,
        critical_violation_count,
        serious_violation_count
    from {{ ref('int_inspections__violations_counted') }}
),

timeline as (
    select
        cast(inspections.inspection_id as {{ dbt.type_string() }}) as row_key,
        inspections.establishment_id,
        inspections.zip,
        inspections.facility_group,
        inspections.inspection_date as event_date,
        inspections.inspection_id as event_order,
        true as is_event,
        inspections.establishment_id is not null as is_point,
        inspections.is_failed is not null as has_outcome,
        coalesce(inspections.is_failed, false) as is_failed,
        inspections.result,
        violation_counts.critical_violation_count,
        violation_counts.serious_violation_count
    from inspections
    left join violation_counts
        on inspections.inspection_id = violation_counts.inspection_id
),

features as (
    {{ canvass.as_of_features('timeline') }}
),

history as (
    select
        cast(row_key as {{ dbt.type_bigint() }}) as inspection_id,
        establishment_id,
        event_date as inspection_date,
        prior_inspections,
        prior_fails,
        prior_critical_violations,
        prior_serious_violations,
        first_seen_date,
        last_inspection_date,
        last_fail_date,
        last_result,
        fails_1y,
        outcomes_1y,
        fails_3y,
        outcomes_3y,
        zip_fails_1y,
        zip_outcomes_1y,
        facility_group_fails_1y,
        facility_group_outcomes_1y
    from features
    where is_point
)

select * from history
