-- Leakage guard: for every training row, the latest inspection any establishment feature drew on is
-- strictly before the inspection date, and the zip rate counts only inspections of earlier dates
-- (recounted here for a sample of rows from the zip's per-day counts: at most 365 days per row,
-- so the recount grows with the sample, not with the inspections per zip and year). Returns the
-- rows that saw their own day. The sample is every inspection id divisible by the var
-- `leakage_sample_every` (50; 1 recounts every row).
-- It re-scans the training frame: tagged `whole_table` (full builds and CI, not the weekly build).
{{ config(tags=['whole_table']) }}

with

features as (
    select
        inspection_id,
        establishment_id,
        inspection_date,
        zip,
        days_since_last_inspection,
        days_since_last_fail,
        days_since_first_seen,
        zip_fail_rate_365d
    from {{ ref('ml_features') }}
),

zip_days as (
    select
        zip,
        inspection_date,
        count(*) as inspections,
        count(case when is_failed then 1 end) as fails
    from {{ ref('fct_inspections') }}
    where is_failed is not null
    group by zip, inspection_date
),

sampled as (
    select *
    from features
    where zip is not null and mod(inspection_id, {{ var('leakage_sample_every') }}) = 0
),

zip_recount as (
    select
        sampled.inspection_id,
        sampled.zip_fail_rate_365d,
        cast(sum(zip_days.fails) as {{ dbt.type_float() }})
        / nullif(sum(zip_days.inspections), 0) as expected_rate
    from sampled
    left join zip_days
        on
            sampled.zip = zip_days.zip
            and sampled.inspection_date > zip_days.inspection_date
            and {{ dbt.dateadd('day', -365, 'sampled.inspection_date') }} <= zip_days.inspection_date
    group by sampled.inspection_id, sampled.zip_fail_rate_365d
),

violations as (
    select
        inspection_id,
        'days since an earlier event below one day' as problem
    from features
    where days_since_last_inspection < 1 or days_since_last_fail < 1 or days_since_first_seen < 1
    union all
    select
        inspection_id,
        'zip fail rate differs from a recount over strictly earlier dates' as problem
    from zip_recount
    where abs(coalesce(zip_fail_rate_365d, -1) - coalesce(expected_rate, -1)) > 1e-9
)

select * from violations
