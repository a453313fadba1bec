-- Grain: one reported burglary (raw.burglaries: the City's crimes with primary type BURGLARY),
-- typed and cleaned. Coordinates are shifted for privacy by the City but stay on the same block.
with

source as (
    select
        id,
        case_number,
        date,
        iucr,
        primary_type,
        description,
        community_area,
        latitude,
        longitude,
        batch_id,
        loaded_at
    from {{ source('chicago', 'burglaries') }}
),

cleaned as (
    select
        id as crime_id,
        {{ canvass.clean_text('case_number') }} as case_number,
        date as occurred_date,
        {{ canvass.clean_text('iucr') }} as iucr,
        lower({{ canvass.clean_text('description') }}) as description,
        community_area,
        latitude,
        longitude,
        batch_id,
        loaded_at
    from source
    where upper(trim(primary_type)) = 'BURGLARY'
)

select * from cleaned
