-- Grain: one drift statistic of one feature of one scoring run against one reference.
with

source as (
    select
        as_of_date,
        model_id,
        comparison,
        feature,
        statistic,
        value,
        warn_at,
        alert_at,
        status,
        detail,
        reference_rows,
        current_rows,
        monitor_run_id,
        monitored_at
    from {{ source('monitoring', 'drift') }}
),

renamed as (
    select
        as_of_date,
        model_id,
        comparison,
        feature,
        statistic,
        value as statistic_value,
        warn_at,
        alert_at,
        status as drift_status,
        detail,
        reference_rows,
        current_rows,
        monitor_run_id,
        monitored_at
    from source
)

select * from renamed
