-- Grain: one inspection of an identified establishment, with that establishment's history as of
-- the inspection date, from strictly earlier dates (macro as_of_features: the same definition
-- ml_scoring_cohort uses). Every feature here depends on the establishment's own inspections only,
-- so an incremental run recomputes just the establishments a newly loaded or corrected raw row
-- belongs to now or belonged to before (macros/incremental.sql); zip and facility-group rates,
-- which depend on everyone's inspections, live in int_inspections__area_fail_rates.
{{ config(
    materialized=canvass.replace_scope_materialization(),
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
    indexes=[
        {'columns': ['inspection_id'], 'unique': true},
        {'columns': ['establishment_id']},
    ],
) }}

-- depends_on: {{ ref('stg_chicago__inspections') }} (incremental runs find changed rows there)
-- depends_on: {{ ref('stg_chicago__violation_counts') }} (and changed published counts)

with

{% if is_incremental() %}
    {{ canvass.establishment_scope_ctes(this, with_published_counts=true) }}
{% endif %}

inspections as (
    select
        inspection_id,
        establishment_id,
        inspection_date,
        result,
        is_failed,
        loaded_at
    from {{ ref('int_inspections__deduplicated') }}
    where
        establishment_id is not null
        and {{ canvass.in_establishment_scope() }}
),

violation_counts as (
    select
        inspection_id,
        critical_violation_count,
        serious_violation_count,
        loaded_at
    from {{ ref('int_inspections__violations_counted') }}
),

timeline as (
    select
        cast(inspections.inspection_id as {{ dbt.type_string() }}) as row_key,
        inspections.establishment_id,
        inspections.inspection_date as event_date,
        inspections.inspection_id as event_order,
        true as is_event,
        true as is_point,
        inspections.is_failed is not null as has_outcome,
        coalesce(inspections.is_failed, false) as is_failed,
        inspections.result,
        violation_counts.critical_violation_count,
        violation_counts.serious_violation_count,
        -- the later of the inspection's and its published counts' loads (see violations_counted)
        greatest(inspections.loaded_at, violation_counts.loaded_at) as loaded_at
    from inspections
    left join violation_counts
        on inspections.inspection_id = violation_counts.inspection_id
),

features as (
    {{ canvass.as_of_features('timeline', carry=['loaded_at']) }}
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
        loaded_at
    from features
)

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('history', 'scope_markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from history
{%- endif %}
