-- Grain: one located event of the City's other datasets that the nearby features count: a 311
-- sanitation complaint (not one the City closed as a duplicate of another) or a burglary, with its
-- grid cell (macro nearby_cell), indexed by cell and date for macro nearby_event_counts.
{{ config(
    materialized='table',
    indexes=[{'columns': ['cell_lat', 'cell_lon', 'event_date']}, {'columns': ['event_date']}],
) }}

with

events as (
    select
        'complaint' as event_kind,
        service_request_number as event_key,
        created_date as event_date,
        latitude,
        longitude
    from {{ ref('stg_chicago__sanitation_complaints') }}
    where not is_duplicate and latitude is not null and longitude is not null
    union all
    select
        'burglary' as event_kind,
        cast(crime_id as {{ dbt.type_string() }}) as event_key,
        occurred_date as event_date,
        latitude,
        longitude
    from {{ ref('stg_chicago__burglaries') }}
    where latitude is not null and longitude is not null
)

select
    event_kind,
    event_key,
    event_date,
    latitude,
    longitude,
    {{ canvass.nearby_cell('latitude', 'lat') }} as cell_lat,
    {{ canvass.nearby_cell('longitude', 'lon') }} as cell_lon
from events
