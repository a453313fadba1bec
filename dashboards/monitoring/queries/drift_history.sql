-- Drift against the previous run, feature by scoring run (marts.fct_feature_drift): the worst
-- status among each feature's statistics, 3 alert, 2 warn, 1 ok, 0 unknown.
select
    drift.as_of_date,
    drift.feature,
    max(
        case drift.drift_status when 'alert' then 3 when 'warn' then 2 when 'ok' then 1 else 0 end
    ) as severity
from marts.fct_feature_drift as drift
where drift.comparison = 'previous_run'
group by drift.as_of_date, drift.feature
order by drift.as_of_date, drift.feature
