-- Every facility-type spelling in the data is listed in seed facility_type_groups; a new spelling
-- falls into 'other' until someone maps it. Warns with the spellings to add.
{{ config(severity='warn') }}

with

staged as (
    select facility_type
    from {{ ref('stg_chicago__inspections') }}
    where facility_type is not null
),

groups as (
    select facility_type
    from {{ ref('facility_type_groups') }}
),

unmapped as (
    select
        lower(staged.facility_type) as facility_type,
        count(*) as inspections
    from staged
    left join groups
        on lower(staged.facility_type) = groups.facility_type
    where groups.facility_type is null
    group by lower(staged.facility_type)
)

select * from unmapped
