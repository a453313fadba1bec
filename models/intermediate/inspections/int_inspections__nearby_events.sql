-- Grain: one deduplicated inspection of an identified establishment with a pass/fail outcome and
-- a location (the rows of ml_features that have coordinates): the 311 sanitation complaints and
-- burglaries within 500 m and 1 km in the 30 and 90 days before the inspection date (macro
-- nearby_event_counts; events on the inspection date itself never count).
with

points as (
    select
        inspection_id as point_key,
        latitude,
        longitude,
        inspection_date as as_of_date
    from {{ ref('int_inspections__deduplicated') }}
    where establishment_id is not null and is_failed is not null
),

counts as (
    {{ canvass.nearby_event_counts('points', ref('int_area__events')) }}
)

select
    point_key as inspection_id,
    {{ canvass.nearby_feature_names() | join(',\n    ') }}
from counts
