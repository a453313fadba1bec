-- Grain: one violation cited in one inspection (inspection_id, violation_position).
-- The text is 'N. TITLE - Comments: ...' items separated by ' | '; a ' | ' inside the comments is
-- kept, since only a separator followed by 'N. ' starts a new item. A trailing ' |' ends the text
-- with an empty item, dropped with the others that carry no number; the space before a separator
-- stays at the end of the item until the title or comments are trimmed.
-- Incremental: a run re-parses only the establishments that inspections loaded or corrected since
-- the last one touch (macros/incremental.sql), which also drops rows that became re-published copies.
{{ config(
    materialized=canvass.replace_scope_materialization(),
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
    indexes=[{'columns': ['inspection_id']}, {'columns': ['establishment_id']}],
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
        inspection_date,
        violations,
        loaded_at
    from {{ ref('int_inspections__deduplicated') }}
    where
        violations is not null
        and {{ canvass.in_establishment_scope() }}
),

code_eras as (
    select
        code_era,
        valid_from,
        valid_until
    from {{ ref('violation_code_eras') }}
),

violation_codes as (
    select
        code_era,
        violation_number,
        severity
    from {{ ref('violation_codes') }}
),

items as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.inspection_date,
        item.item_text,
        cast(item.item_position as integer) as violation_position,
        inspections.loaded_at
    from inspections
    {{ canvass.regex_split_to_rows(
        'inspections.violations', '\|\s*(?=[0-9]+\.\s)|\|\s*$', 'item', 'item_text', 'item_position'
    ) }}
),

parsed as (
    select
        inspection_id,
        establishment_id,
        violation_position,
        -- plain string functions where a pattern is not needed: this model parses every violation
        case
            when {{ canvass.regex_matches('item_text', '^\s*[0-9]+\.') }}
                then cast({{ dbt.split_part('item_text', "'.'", 1) }} as integer)
        end as violation_number,
        -- the title runs from after the number's dot to ' - Comments:' (items without a number are dropped)
        {{ canvass.clean_text(
            'substr(' ~ dbt.split_part('item_text', "' - Comments:'", 1) ~ ', '
            ~ dbt.position("'.'", 'item_text') ~ ' + 1)'
        ) }} as title,
        {{ canvass.clean_text(canvass.text_after('item_text', "' - Comments:'")) }} as comments,
        inspection_date,
        loaded_at
    from items
),

classified as (
    select
        parsed.inspection_id,
        parsed.establishment_id,
        parsed.violation_position,
        parsed.violation_number,
        parsed.title,
        parsed.comments,
        code_eras.code_era,
        violation_codes.severity,
        parsed.loaded_at
    from parsed
    inner join code_eras
        on
            parsed.inspection_date >= code_eras.valid_from
            and parsed.inspection_date < code_eras.valid_until
    left join violation_codes
        on
            code_eras.code_era = violation_codes.code_era
            and parsed.violation_number = violation_codes.violation_number
    where parsed.violation_number is not null
)

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('classified', 'scope_markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from classified
{%- endif %}
