-- The realised disparities of every scoring run beside the selection-time audit
-- (marts.fct_realised_fairness), for one metric.
select
    fairness.as_of_date,
    fairness.attribute_name,
    fairness.attribute_value,
    fairness.group_size,
    fairness.disparity,
    fairness.disparity_at_selection,
    fairness.is_fair,
    fairness.reference_group
from marts.fct_realised_fairness as fairness
where fairness.metric = %(metric)s
order by fairness.attribute_name, fairness.attribute_value, fairness.as_of_date
