-- Every inspection of the establishment, newest first, with its violations (marts.fct_inspections).
select
    inspections.inspection_date,
    inspections.inspection_type,
    inspections.result,
    inspections.violation_count,
    inspections.critical_violation_count,
    inspections.serious_violation_count
from marts.fct_inspections as inspections
where inspections.establishment_id = %(establishment_id)s
order by inspections.inspection_date desc, inspections.inspection_id desc
