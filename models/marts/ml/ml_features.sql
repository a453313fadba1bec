-- Grain: one inspection of an identified establishment with a pass/fail outcome. Every feature is
-- computed as of the inspection date from strictly earlier inspections (macro as_of_features).
with

inspections as (
    select
        inspection_id,
        establishment_id,
        license_number,
        inspection_date,
        facility_group,
        risk_level,
        inspection_type,
        zip
    from {{ ref('stg_chicago__inspections') }}
    where establishment_id is not null and is_failed is not null
),

history as (
    select
        inspection_id,
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
    from {{ ref('int_inspections__history') }}
),

features as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.license_number,
        inspections.inspection_date,
        {{ canvass.feature_columns('history', 'inspections', 'inspections.inspection_date') }}
    from inspections
    inner join history
        on inspections.inspection_id = history.inspection_id
)

select * from features
