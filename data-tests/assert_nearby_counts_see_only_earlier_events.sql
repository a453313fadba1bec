-- Leakage guard for the complaint and burglary features: for a sample of training rows (inspection
-- ids divisible by the var leakage_sample_every), recount the events within 1 km in the 90 days
-- before the inspection date without the grid (a plain box around the point, then the distance)
-- and with events strictly before the inspection date only. Returns the rows whose feature
-- differs: a feature that saw its own day (or a grid that lost an event) shows up here.
-- It scans the events for every sampled row: tagged `whole_table` (full builds and CI).
{{ config(tags=['whole_table']) }}

with

sampled as (
    select
        features.inspection_id,
        features.inspection_date,
        features.complaints_1000m_90d,
        features.burglaries_1000m_90d,
        inspections.latitude,
        inspections.longitude
    from {{ ref('ml_features') }} as features
    inner join {{ ref('int_inspections__deduplicated') }} as inspections
        on features.inspection_id = inspections.inspection_id
    where
        mod(features.inspection_id, {{ var('leakage_sample_every') }}) = 0
        and inspections.latitude is not null
),

recount as (
    select
        sampled.inspection_id,
        count(
            case
                when
                    events.event_kind = 'complaint'
                    and {{ canvass.great_circle_m(
                        'sampled.latitude', 'sampled.longitude', 'events.latitude', 'events.longitude'
                    ) }} <= 1000.001
                    then 1
            end
        ) as complaints,
        count(
            case
                when
                    events.event_kind = 'burglary'
                    and {{ canvass.great_circle_m(
                        'sampled.latitude', 'sampled.longitude', 'events.latitude', 'events.longitude'
                    ) }} <= 1000.001
                    then 1
            end
        ) as burglaries
    from sampled
    left join {{ ref('int_area__events') }} as events
        on
            sampled.inspection_date > events.event_date
            and sampled.inspection_date - 90 <= events.event_date
            and abs(sampled.latitude - events.latitude) < 0.01
            and abs(sampled.longitude - events.longitude) < 0.014
    group by sampled.inspection_id
)

select
    sampled.inspection_id,
    sampled.complaints_1000m_90d,
    recount.complaints,
    sampled.burglaries_1000m_90d,
    recount.burglaries
from sampled
inner join recount
    on sampled.inspection_id = recount.inspection_id
where
    sampled.complaints_1000m_90d != recount.complaints
    or sampled.burglaries_1000m_90d != recount.burglaries
