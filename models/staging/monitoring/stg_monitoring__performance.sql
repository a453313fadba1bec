-- Grain: one cut of one scoring run's ranking, against the inspections since.
with

source as (
    select
        as_of_date,
        model_id,
        cut,
        ranked,
        inspected,
        failed,
        realised_precision,
        base_rate,
        promised_precision,
        expected_precision,
        expected_precision_inspected,
        estimate_status,
        labels_through,
        labels_seen,
        monitor_run_id,
        monitored_at
    from {{ source('monitoring', 'performance') }}
),

renamed as (
    select
        as_of_date,
        model_id,
        cut,
        ranked as establishments_ranked,
        inspected as establishments_inspected,
        failed as establishments_failed,
        realised_precision,
        base_rate,
        promised_precision,
        expected_precision,
        expected_precision_inspected,
        estimate_status,
        labels_through,
        labels_seen,
        monitor_run_id,
        monitored_at
    from source
)

select * from renamed
