-- Grain: one inspection of an identified establishment with a pass/fail outcome. Every feature is
-- computed as of the inspection date from strictly earlier inspections (macros as_of_features and
-- area_fail_rates).
-- Incremental: a run recomputes the inspections of the establishments that newly loaded or
-- corrected raw rows touch (as int_inspections__history does, macros/incremental.sql), plus every
-- kept inspection whose zip or facility-group rate has moved: a changed inspection anywhere in an
-- area, identified or not, moves the area's rates for the 365 days after it.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
) }}

with

{% if is_incremental() %}
    {{ canvass.establishment_scope_ctes(this) }}
{% endif %}

area_rates as (
    select
        area_type,
        area_id,
        outcome_date,
        fails_1y,
        outcomes_1y
    from {{ ref('int_inspections__area_fail_rates') }}
),

{% if is_incremental() %}
    moved_area_rates as (
        select kept.inspection_id
        from {{ this }} as kept
        left join area_rates as zip_rates
            on
                zip_rates.area_type = 'zip'
                and kept.zip = zip_rates.area_id
                and kept.inspection_date = zip_rates.outcome_date
        left join area_rates as group_rates
            on
                group_rates.area_type = 'facility_group'
                and kept.facility_group = group_rates.area_id
                and kept.inspection_date = group_rates.outcome_date
        where
            kept.zip_fail_rate_365d is distinct from {{ canvass.area_rate('kept.zip', 'zip_rates') }}
            or kept.facility_group_fail_rate_365d
            is distinct from {{ canvass.area_rate('kept.facility_group', 'group_rates') }}
    ),

    markers as (
        select
            scope_markers.establishment_id,
            scope_markers.inspection_id
        from scope_markers
        union all
        select
            null as establishment_id,
            moved_area_rates.inspection_id
        from moved_area_rates
    ),
{% endif %}

inspections as (
    select
        inspection_id,
        establishment_id,
        license_number,
        inspection_date,
        facility_group,
        risk_level,
        inspection_type,
        zip,
        loaded_at
    from {{ ref('stg_chicago__inspections') }}
    where
        establishment_id is not null
        and is_failed is not null
        and {{ canvass.in_establishment_scope(also='moved_area_rates') }}
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
    where {{ canvass.in_establishment_scope(also='moved_area_rates') }}
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
        inspections.loaded_at
    from inspections
    inner join history
        on inspections.inspection_id = history.inspection_id
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

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('features', 'markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from features
{%- endif %}
