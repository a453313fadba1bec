-- Every SLA check of every monitor run, by the day it measured as of (marts.fct_sla_checks): the
-- status over time, and the data-quality measures against their thresholds.
select
    checks.measured_as_of,
    checks.sla_kind,
    checks.sla_name,
    checks.sla_status,
    checks.measured_value,
    checks.threshold_value
from marts.fct_sla_checks as checks
order by checks.measured_as_of, checks.sla_name
