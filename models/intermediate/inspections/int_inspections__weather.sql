-- Grain: one deduplicated inspection of an identified establishment with a pass/fail outcome (the
-- rows of ml_features): the mean maximum temperature and precipitation of the three days before
-- its date (macro weather_before).
with

points as (
    select
        inspection_id as point_key,
        inspection_date as as_of_date
    from {{ ref('int_inspections__deduplicated') }}
    where establishment_id is not null and is_failed is not null
),

weather as (
    {{ canvass.weather_before('points') }}
)

select
    point_key as inspection_id,
    max_temperature_3d_c,
    precipitation_3d_mm
from weather
