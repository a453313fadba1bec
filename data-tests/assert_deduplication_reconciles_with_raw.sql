-- Every raw inspection is in int_inspections__deduplicated or is a re-published copy of one that is:
-- raw rows = kept rows + copies dropped, counted here independently from the raw columns. Returns a
-- row on mismatch.
-- It re-scans raw whole: tagged `whole_table` (full builds and CI run it, the weekly build does not).
{{ config(tags=['whole_table']) }}

with

raw_rows as (
    select
        inspection_id,
        case
            when license_number > 0 then cast(license_number as {{ dbt.type_string() }})
            when nullif(trim(dba_name), '') is not null or nullif(trim(address), '') is not null
                then lower(coalesce(trim(dba_name), '')) || '|' || lower(coalesce(trim(address), ''))
        end as establishment_key,
        inspection_date,
        lower(trim(inspection_type)) as inspection_type,
        lower(trim(results)) as results,
        case when upper(trim(violations)) not in ('', 'NIL') then violations end as violations
    from {{ source('chicago', 'food_inspections') }}
),

copy_groups as (
    select count(*) - 1 as copies
    from raw_rows
    where establishment_key is not null
    group by establishment_key, inspection_date, inspection_type, results, violations
),

counts as (
    select
        (select count(*) from raw_rows) as raw_count,
        (select count(*) from {{ ref('int_inspections__deduplicated') }}) as staged_count,
        (select coalesce(sum(copies), 0) from copy_groups) as copies_dropped
)

select *
from counts
where raw_count != staged_count + copies_dropped
