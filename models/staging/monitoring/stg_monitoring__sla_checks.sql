-- Grain: one SLA checked by one monitor run (rows from before the SLA board have no run).
with

source as (
    select
        monitor_run_id,
        check_name,
        kind,
        status,
        passed,
        value,
        threshold_value,
        unit,
        detail,
        checked_at
    from {{ source('monitoring', 'sla_checks') }}
    where monitor_run_id is not null
),

renamed as (
    select
        monitor_run_id,
        check_name as sla_name,
        kind as sla_kind,
        coalesce(status, case when passed then 'ok' else 'breach' end) as sla_status,
        value as measured_value,
        threshold_value,
        unit,
        detail,
        checked_at as measured_as_of
    from source
)

select * from renamed
