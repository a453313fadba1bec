-- Grain: one SLA checked by one monitor run. `is_latest` marks the board of the newest monitor
-- run: the one the API's /monitoring/slas and `canvass monitor` show.
with

checks as (
    select
        monitor_run_id,
        sla_name,
        sla_kind,
        sla_status,
        measured_value,
        threshold_value,
        unit,
        detail,
        measured_as_of
    from {{ ref('stg_monitoring__sla_checks') }}
),

runs as (
    select
        monitor_run_id,
        started_at,
        monitor_status
    from {{ ref('stg_monitoring__runs') }}
),

latest_run as (
    select monitor_run_id
    from runs
    order by started_at desc, monitor_run_id asc
    limit 1
),

final as (
    select
        checks.monitor_run_id,
        checks.sla_name,
        checks.sla_kind,
        checks.sla_status,
        checks.measured_value,
        checks.threshold_value,
        checks.unit,
        checks.detail,
        checks.measured_as_of,
        runs.started_at as monitored_at,
        runs.monitor_status,
        latest_run.monitor_run_id is not null as is_latest
    from checks
    inner join runs
        on checks.monitor_run_id = runs.monitor_run_id
    left join latest_run
        on checks.monitor_run_id = latest_run.monitor_run_id
)

select * from final
