-- Grain: one monitor run.
with

source as (
    select
        monitor_run_id,
        as_of_date,
        model_id,
        clock,
        started_at,
        finished_at,
        status
    from {{ source('monitoring', 'runs') }}
),

renamed as (
    select
        monitor_run_id,
        as_of_date as scoring_as_of_date,
        model_id,
        clock as monitored_as_of,
        started_at,
        finished_at,
        coalesce(status, 'unknown') as monitor_status
    from source
)

select * from renamed
