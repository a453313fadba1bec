-- Grain: one metric of one baseline rule on one test window of one experiment.
with

source as (
    select
        experiment_hash,
        baseline,
        test_start,
        test_end,
        metric,
        parameter,
        value
    from {{ source('ml', 'baseline_evaluations') }}
),

renamed as (
    select
        experiment_hash,
        baseline as baseline_name,
        test_start as test_start_date,
        test_end as test_end_date,
        metric,
        parameter,
        value as metric_value
    from source
)

select * from renamed
