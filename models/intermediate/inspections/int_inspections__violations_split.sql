-- Grain: one violation cited in one inspection (inspection_id, violation_position).
-- The text is 'N. TITLE - Comments: ...' items separated by ' | '; a ' | ' inside the comments is
-- kept, since only a separator followed by 'N. ' starts a new item.
with

inspections as (
    select
        inspection_id,
        inspection_date,
        violations
    from {{ ref('stg_chicago__inspections') }}
    where violations is not null
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
        inspections.inspection_date,
        {{ canvass.regex_replace('item.item_text', '\s*\|\s*$', '') }} as item_text,
        cast(item.item_position as integer) as violation_position
    from inspections
    {{ canvass.regex_split_to_rows(
        'inspections.violations', '\s*\|\s*(?=[0-9]+\.\s)', 'item', 'item_text', 'item_position'
    ) }}
),

parsed as (
    select
        inspection_id,
        violation_position,
        cast({{ canvass.regex_substring('item_text', '^\s*([0-9]+)\.') }} as integer) as violation_number,
        {{ canvass.clean_text(
            canvass.regex_replace(dbt.split_part('item_text', "' - Comments:'", 1), '^\s*[0-9]+\.\s*', '')
        ) }} as title,
        {{ canvass.clean_text(
            canvass.regex_substring('item_text', ' - Comments:(.*)$')
        ) }} as comments,
        case
            when inspection_date < cast('{{ var("violation_code_change_date") }}' as date) then 'pre_2018_07'
            else 'from_2018_07'
        end as code_era
    from items
),

classified as (
    select
        parsed.inspection_id,
        parsed.violation_position,
        parsed.violation_number,
        parsed.title,
        parsed.comments,
        parsed.code_era,
        violation_codes.severity
    from parsed
    left join violation_codes
        on
            parsed.code_era = violation_codes.code_era
            and parsed.violation_number = violation_codes.violation_number
    where parsed.violation_number is not null
)

select * from classified
