-- Drift of the newest monitored scoring run, worst first (marts.fct_feature_drift).
select
    drift.as_of_date,
    drift.comparison,
    drift.feature,
    drift.statistic,
    drift.statistic_value,
    drift.warn_at,
    drift.alert_at,
    drift.drift_status
from marts.fct_feature_drift as drift
where drift.is_latest_run
order by
    case drift.drift_status when 'alert' then 0 when 'warn' then 1 when 'ok' then 2 else 3 end,
    drift.comparison,
    drift.feature,
    drift.statistic
