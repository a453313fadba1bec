-- The newest monitor run's SLA board (marts.fct_sla_checks).
select
    checks.sla_name,
    checks.sla_status,
    checks.measured_value,
    checks.threshold_value,
    checks.unit,
    checks.detail,
    checks.monitored_at
from marts.fct_sla_checks as checks
where checks.is_latest
order by checks.sla_kind, checks.sla_name
