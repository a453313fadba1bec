-- Grain: one active establishment due for a routine (canvass) inspection as of as_of_date, with the
-- same features as ml_features computed as of that date (macro as_of_features). Due means the last
-- inspection is at least the risk level's interval old (var routine_interval_months); active means
-- the latest record is not "out of business" and falls within var cohort_active_within_days.
with

inspections as (
    select
        inspection_id,
        establishment_id,
        license_number,
        zip,
        facility_group,
        risk_level,
        inspection_date,
        result,
        is_failed,
        latitude,
        longitude
    from {{ ref('int_inspections__deduplicated') }}
),

violation_counts as (
    select
        inspection_id,
        critical_violation_count,
        serious_violation_count
    from {{ ref('int_inspections__violations_counted') }}
),

as_of as (
    {#- The var (by hand), else CANVASS_AS_OF_DATE (the flows): parsed as a date, so nothing else
        reaches the SQL. -#}
    {%- set as_of_text = var('as_of_date') or env_var('CANVASS_AS_OF_DATE', '') %}
    {%- set as_of_date = modules.datetime.date.fromisoformat(as_of_text | string) if as_of_text else none %}
    {% if as_of_date -%}
        select cast('{{ as_of_date }}' as date) as as_of_date
    {%- else -%}
        select cast({{ dbt.dateadd('day', 1, 'max(inspection_date)') }} as date) as as_of_date
        from inspections
    {%- endif %}
),

known_before as (
    select inspections.*
    from inspections
    cross join as_of
    where inspections.inspection_date < as_of.as_of_date
),

establishments as (
    select
        establishment_id,
        max(license_number) as license_number,
        {{ canvass.latest_non_null('zip', 'inspection_date desc, inspection_id desc') }} as zip,
        coalesce(
            {{ canvass.latest_non_null(
                "case when facility_group != 'unknown' then facility_group end",
                'inspection_date desc, inspection_id desc'
            ) }},
            'unknown'
        ) as facility_group,
        {{ canvass.latest_non_null('risk_level', 'inspection_date desc, inspection_id desc') }} as risk_level,
        {{ canvass.latest_non_null('result', 'inspection_date desc, inspection_id desc') }} as last_result,
        {{ canvass.latest_non_null('latitude', 'inspection_date desc, inspection_id desc') }} as latitude,
        {{ canvass.latest_non_null('longitude', 'inspection_date desc, inspection_id desc') }} as longitude,
        max(inspection_date) as last_inspection_date
    from known_before
    where establishment_id is not null
    group by establishment_id
),

routine_intervals as (
    {% for level, months in var('routine_interval_months').items() -%}
        select
            {{ level }} as risk_level,
            {{ months }} as interval_months
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

scheduled as (
    select
        establishments.*,
        cast(
            {{ dbt.dateadd('month', 'routine_intervals.interval_months', 'establishments.last_inspection_date') }}
            as date
        ) as routine_due_date
    from establishments
    inner join routine_intervals
        on establishments.risk_level = routine_intervals.risk_level
),

due as (
    select
        establishments.establishment_id,
        establishments.license_number,
        establishments.zip,
        establishments.facility_group,
        establishments.risk_level,
        establishments.latitude,
        establishments.longitude,
        as_of.as_of_date
    from scheduled as establishments
    cross join as_of
    where
        establishments.last_result != 'out_of_business'
        and establishments.last_inspection_date
        >= cast({{ dbt.dateadd('day', -var('cohort_active_within_days'), 'as_of.as_of_date') }} as date)
        and establishments.routine_due_date <= as_of.as_of_date
),

timeline as (
    -- the due establishments' inspections before as_of_date, and one point each at as_of_date
    select
        cast(known_before.inspection_id as {{ dbt.type_string() }}) as row_key,
        known_before.establishment_id,
        known_before.inspection_date as event_date,
        known_before.inspection_id as event_order,
        true as is_event,
        false as is_point,
        known_before.is_failed is not null as has_outcome,
        coalesce(known_before.is_failed, false) as is_failed,
        known_before.result,
        violation_counts.critical_violation_count,
        violation_counts.serious_violation_count
    from known_before
    inner join due
        on known_before.establishment_id = due.establishment_id
    left join violation_counts
        on known_before.inspection_id = violation_counts.inspection_id
    union all
    select
        'point-' || establishment_id as row_key,
        establishment_id,
        as_of_date as event_date,
        0 as event_order,
        false as is_event,
        true as is_point,
        false as has_outcome,
        false as is_failed,
        null as result,
        null as critical_violation_count,
        null as serious_violation_count
    from due
),

history as (
    {{ canvass.as_of_features('timeline') }}
),

due_areas as (
    select distinct
        zip,
        facility_group,
        as_of_date
    from due
),

area_daily as (
    -- every inspection before as_of_date by zip and by facility group, and a point at as_of_date
    {{ canvass.area_daily_outcomes('known_before') }}
    union all
    select distinct
        'zip' as area_type,
        as_of.zip as area_id,
        as_of.as_of_date as outcome_date,
        0 as fails,
        0 as outcomes
    from due_areas as as_of
    where as_of.zip is not null
    union all
    select distinct
        'facility_group' as area_type,
        as_of.facility_group as area_id,
        as_of.as_of_date as outcome_date,
        0 as fails,
        0 as outcomes
    from due_areas as as_of
),

area_history as (
    {{ canvass.area_fail_rates('area_daily') }}
),

area_rates as (
    -- the rates at as_of_date only (a few dozen rows), before they meet the cohort
    select area_history.*
    from area_history
    inner join as_of
        on area_history.outcome_date = as_of.as_of_date
),

due_points as (
    select
        establishment_id as point_key,
        latitude,
        longitude,
        as_of_date
    from due
),

nearby as {{ canvass.materialized() }} (
    {{ canvass.nearby_event_counts('due_points', ref('int_area__events')) }}
),

weather as {{ canvass.materialized() }} (
    {{ canvass.weather_before('due_points') }}
),

points as (
    select
        establishment_id,
        license_number,
        as_of_date,
        facility_group,
        risk_level,
        'canvass' as inspection_type,
        zip
    from due
),

features as (
    select
        points.establishment_id,
        points.license_number,
        points.as_of_date,
        {{ canvass.feature_columns('history', 'points', 'points.as_of_date', 'zip_rates', 'group_rates') }},
        {{ canvass.source_feature_columns('nearby', 'weather') }}
    from points
    inner join history
        on
            history.is_point
            and points.establishment_id = history.establishment_id
    left join area_rates as zip_rates
        on
            zip_rates.area_type = 'zip'
            and points.zip = zip_rates.area_id
    left join area_rates as group_rates
        on
            group_rates.area_type = 'facility_group'
            and points.facility_group = group_rates.area_id
    left join nearby
        on points.establishment_id = nearby.point_key
    left join weather
        on points.establishment_id = weather.point_key
)

select * from features
