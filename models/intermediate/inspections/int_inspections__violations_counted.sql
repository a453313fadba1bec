-- Grain: one deduplicated inspection, with how many violations of each severity it cited.
-- Where the counts come from, in this order (violation_counts_source): the violation text; else
-- the counts the City published for inspections without text (stg_chicago__violation_counts);
-- else, for an outcome that cites no critical or serious violation (a pass, no entry, ...), none;
-- else (a fail or a conditional pass without text or counts) unknown: null, never zero.
-- Incremental: a run recounts only the establishments that inspections loaded or corrected since
-- the last one touch (macros/incremental.sql).
{{ config(
    materialized=canvass.replace_scope_materialization(),
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
    indexes=[{'columns': ['inspection_id'], 'unique': true}, {'columns': ['establishment_id']}],
) }}

-- depends_on: {{ ref('stg_chicago__inspections') }} (incremental runs find changed rows there)
-- depends_on: {{ ref('stg_chicago__violation_counts') }} (and changed published counts)

with

{% if is_incremental() %}
    {{- canvass.require_columns(this, ['violation_counts_source']) }}
    {{ canvass.establishment_scope_ctes(this, with_published_counts=true) }}
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

published as (
    select
        inspection_id,
        critical_count,
        serious_count,
        minor_count,
        loaded_at
    from {{ ref('stg_chicago__violation_counts') }}
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
        case
            when inspections.violations is not null then 'text'
            when published.inspection_id is not null then 'published_counts'
            when inspections.result not in ('fail', 'pass_with_conditions') then 'outcome'
        end as violation_counts_source,
        per_inspection.violation_count,
        per_inspection.critical_violation_count,
        per_inspection.serious_violation_count,
        per_inspection.minor_violation_count,
        published.critical_count,
        published.serious_count,
        published.minor_count,
        -- the later of the two loads: the incremental watermark covers both (macros/incremental.sql)
        greatest(inspections.loaded_at, published.loaded_at) as loaded_at
    from inspections
    left join per_inspection
        on inspections.inspection_id = per_inspection.inspection_id
    left join published
        on inspections.inspection_id = published.inspection_id
),

final as (
    select
        inspection_id,
        establishment_id,
        has_violation_text,
        violation_counts_source,
        case violation_counts_source
            when 'text' then coalesce(violation_count, 0)
            when 'published_counts' then critical_count + serious_count + minor_count
            when 'outcome' then 0
        end as violation_count,
        case violation_counts_source
            when 'text' then coalesce(critical_violation_count, 0)
            when 'published_counts' then critical_count
            when 'outcome' then 0
        end as critical_violation_count,
        case violation_counts_source
            when 'text' then coalesce(serious_violation_count, 0)
            when 'published_counts' then serious_count
            when 'outcome' then 0
        end as serious_violation_count,
        case violation_counts_source
            when 'text' then coalesce(minor_violation_count, 0)
            when 'published_counts' then minor_count
            when 'outcome' then 0
        end as minor_violation_count,
        loaded_at
    from counted
)

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('final', 'scope_markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from final
{%- endif %}
