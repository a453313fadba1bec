-- Grain: one inspection. Staging's rows with facility types grouped (seed facility_type_groups) and
-- inspection types and results normalised (seeds inspection_type_map, result_map), and re-published
-- copies dropped: the same establishment, date, inspection type, result and violation text under
-- another inspection id, keeping the lowest inspection_id (rows that name no establishment are
-- never copies). Every model after staging reads inspections from here.
-- An incremental table, since every later model reads it and the deduplication is the slowest part
-- of a build: a run recomputes every establishment that a raw row loaded or corrected since the
-- newest loaded_at it holds belongs to now or belonged to before (macros/incremental.sql), so the
-- result always equals a full refresh.
{{ config(
    materialized=canvass.replace_scope_materialization(),
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
    indexes=[
        {'columns': ['inspection_id'], 'unique': true},
        {'columns': ['establishment_id']},
    ],
) }}

with

{% if is_incremental() %}
    {{ canvass.establishment_scope_ctes(this, current_rows=ref('stg_chicago__inspections')) }}
{% endif %}

inspections as (
    select
        inspection_id,
        establishment_id,
        license_number,
        dba_name,
        aka_name,
        facility_type,
        facility_type_key,
        risk_level,
        address,
        city,
        state,
        zip,
        latitude,
        longitude,
        inspection_date,
        inspection_type_key,
        result_key,
        violations,
        batch_id,
        loaded_at
    from {{ ref('stg_chicago__inspections') }}
    where {{ canvass.in_establishment_scope() }}
),

facility_type_groups as (
    select
        facility_type,
        facility_group
    from {{ ref('facility_type_groups') }}
),

inspection_type_map as (
    select
        inspection_type_raw,
        inspection_type
    from {{ ref('inspection_type_map') }}
),

result_map as (
    select
        result_raw,
        result,
        is_failed
    from {{ ref('result_map') }}
),

normalised as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.license_number,
        inspections.dba_name,
        inspections.aka_name,
        inspections.facility_type,
        coalesce(
            facility_type_groups.facility_group,
            case when inspections.facility_type is null then 'unknown' else 'other' end
        ) as facility_group,
        inspections.risk_level,
        inspections.address,
        inspections.city,
        inspections.state,
        inspections.zip,
        inspections.latitude,
        inspections.longitude,
        inspections.inspection_date,
        coalesce(
            inspection_type_map.inspection_type,
            case when inspections.inspection_type_key is null then 'unknown' else 'other' end
        ) as inspection_type,
        coalesce(result_map.result, 'other') as result,
        result_map.is_failed,
        inspections.violations,
        inspections.inspection_type_key,
        inspections.result_key,
        inspections.batch_id,
        inspections.loaded_at
    from inspections
    left join facility_type_groups
        on inspections.facility_type_key = facility_type_groups.facility_type
    left join inspection_type_map
        on inspections.inspection_type_key = inspection_type_map.inspection_type_raw
    left join result_map
        on inspections.result_key = result_map.result_raw
),

ranked as (
    select
        *,
        row_number() over (
            partition by
                establishment_id,
                inspection_date,
                inspection_type_key,
                result_key,
                violations
            order by inspection_id
        ) as copy_number
    from normalised
),

deduplicated as (
    select
        inspection_id,
        establishment_id,
        license_number,
        dba_name,
        aka_name,
        facility_type,
        facility_group,
        risk_level,
        address,
        city,
        state,
        zip,
        latitude,
        longitude,
        inspection_date,
        inspection_type,
        result,
        is_failed,
        violations,
        batch_id,
        loaded_at
    from ranked
    -- an inspection without licence, name or address cannot be matched to any other: keep it
    where copy_number = 1 or establishment_id is null
)

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('deduplicated', 'scope_markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from deduplicated
{%- endif %}
