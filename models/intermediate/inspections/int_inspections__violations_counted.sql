-- Grain: one deduplicated inspection, with how many violations of each severity it cited.
-- Counts are null when the outcome implies violations (fail, pass with conditions) but the
-- violation text is missing: the count is unknown, not zero.
-- Incremental: a run recounts only the establishments that inspections loaded or corrected since
-- the last one touch (macros/incremental.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
    indexes=[{'columns': ['inspection_id'], 'unique': true}, {'columns': ['establishment_id']}],
) }}

-- depends_on: {{ ref('stg_chicago__inspections') }} (incremental runs find changed rows there)

with

{% if is_incremental() %}
    {{ canvass.establishment_scope_ctes(this) }}
{% endif %}

inspections as (
    select
        inspection_id,
        establishment_id,
        result,
        violations,
        loaded_at
    from {{ ref('int_inspections__deduplicated') }}
    where {{ canvass.in_establishment_scope() }}
),

violations as (
    select
        inspection_id,
        severity
    from {{ ref('int_inspections__violations_split') }}
    where {{ canvass.in_establishment_scope() }}
),

per_inspection as (
    select
        inspection_id,
        count(*) as violation_count,
        count(case when severity = 'critical' then 1 end) as critical_violation_count,
        count(case when severity = 'serious' then 1 end) as serious_violation_count,
        count(case when severity = 'minor' then 1 end) as minor_violation_count
    from violations
    group by inspection_id
),

counted as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.violations is not null as has_violation_text,
        (
            inspections.violations is not null
            or inspections.result not in ('fail', 'pass_with_conditions')
        ) as are_counts_known,
        per_inspection.violation_count,
        per_inspection.critical_violation_count,
        per_inspection.serious_violation_count,
        per_inspection.minor_violation_count,
        inspections.loaded_at
    from inspections
    left join per_inspection
        on inspections.inspection_id = per_inspection.inspection_id
),

final as (
    select
        inspection_id,
        establishment_id,
        has_violation_text,
        case when are_counts_known then coalesce(violation_count, 0) end as violation_count,
        case when are_counts_known then coalesce(critical_violation_count, 0) end as critical_violation_count,
        case when are_counts_known then coalesce(serious_violation_count, 0) end as serious_violation_count,
        case when are_counts_known then coalesce(minor_violation_count, 0) end as minor_violation_count,
        loaded_at
    from counted
)

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('final', 'scope_markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from final
{%- endif %}
