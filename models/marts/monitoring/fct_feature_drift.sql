-- Grain: one drift statistic of one feature (or of the score) of one scoring run against one
-- reference. `is_latest_run` marks the newest monitored scoring run.
with

drift as (
    select
        as_of_date,
        model_id,
        comparison,
        feature,
        statistic,
        statistic_value,
        warn_at,
        alert_at,
        drift_status,
        detail,
        reference_rows,
        current_rows,
        monitored_at
    from {{ ref('stg_monitoring__drift') }}
),

latest as (
    select max(as_of_date) as as_of_date
    from drift
),

final as (
    select
        drift.as_of_date,
        drift.model_id,
        drift.comparison,
        drift.feature,
        drift.statistic,
        drift.statistic_value,
        drift.warn_at,
        drift.alert_at,
        drift.drift_status,
        drift.detail,
        drift.reference_rows,
        drift.current_rows,
        drift.monitored_at,
        drift.as_of_date = latest.as_of_date as is_latest_run
    from drift
    cross join latest
)

select * from final
