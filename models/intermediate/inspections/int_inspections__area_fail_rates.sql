-- Grain: one area (a zip or a facility group) and a date on which it had an inspection, with the
-- fails and pass/fail outcomes of every inspection in the area (identified or not) in the 365 days
-- before that date, from strictly earlier dates (macro area_fail_rates). Rebuilt whole on every
-- run: it is small (an area has at most one row a day), and one corrected inspection changes the
-- rates of a whole year of its zip and facility group.
with

inspections as (
    select
        zip,
        facility_group,
        inspection_date,
        is_failed
    from {{ ref('int_inspections__deduplicated') }}
),

daily as (
    {{ canvass.area_daily_outcomes('inspections') }}
),

rates as (
    {{ canvass.area_fail_rates('daily') }}
)

select * from rates
