-- Leakage guard: for every training row, the latest inspection any establishment feature drew on is
-- strictly before the inspection date, and the zip rate counts only inspections of earlier dates
-- (recounted here by brute force for a sample of rows). Returns the rows that saw their own day.
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

inspections as (
    select
        inspection_date,
        zip,
        is_failed
    from {{ ref('fct_inspections') }}
    where is_failed is not null
),

sampled as (
    select *
    from features
    where zip is not null and mod(inspection_id, 50) = 0
),

zip_recount as (
    select
        sampled.inspection_id,
        sampled.zip_fail_rate_365d,
        cast(count(case when inspections.is_failed then 1 end) as {{ dbt.type_float() }})
        / nullif(count(inspections.inspection_date), 0) as expected_rate
    from sampled
    left join inspections
        on
            sampled.zip = inspections.zip
            and sampled.inspection_date > inspections.inspection_date
            and {{ dbt.dateadd('day', -365, 'sampled.inspection_date') }} <= inspections.inspection_date
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
