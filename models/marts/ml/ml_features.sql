-- Grain: one inspection of an identified establishment with a pass/fail outcome. Every feature is
-- computed as of the inspection date from strictly earlier data: inspections (macros
-- as_of_features and area_fail_rates), complaints and burglaries nearby (nearby_event_counts) and
-- the weather (weather_before).
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
    from {{ ref('int_inspections__deduplicated') }}
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
        outcomes_3y
    from {{ ref('int_inspections__history') }}
),

area_rates as (
    select
        area_type,
        area_id,
        outcome_date,
        fails_1y,
        outcomes_1y,
        fails_90d,
        outcomes_90d,
        fails_30d,
        outcomes_30d
    from {{ ref('int_inspections__area_fail_rates') }}
),

nearby as (
    select * from {{ ref('int_inspections__nearby_events') }}
),

weather as (
    select * from {{ ref('int_inspections__weather') }}
),

features as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.license_number,
        inspections.inspection_date,
        {{ canvass.feature_columns(
            'history', 'inspections', 'inspections.inspection_date', 'zip_rates', 'group_rates'
        ) }},
        {{ canvass.source_feature_columns('nearby', 'weather') }}
    from inspections
    inner join history
        on inspections.inspection_id = history.inspection_id
    left join nearby
        on inspections.inspection_id = nearby.inspection_id
    left join weather
        on inspections.inspection_id = weather.inspection_id
    left join area_rates as zip_rates
        on
            zip_rates.area_type = 'zip'
            and inspections.zip = zip_rates.area_id
            and inspections.inspection_date = zip_rates.outcome_date
    left join area_rates as group_rates
        on
            group_rates.area_type = 'facility_group'
            and inspections.facility_group = group_rates.area_id
            and inspections.inspection_date = group_rates.outcome_date
)

select * from features
