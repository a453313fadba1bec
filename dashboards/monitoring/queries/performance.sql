-- Realised precision of each scoring run at one cut, against the cross-validation promise and the
-- calibrated estimate (marts.fct_model_performance).
select
    performance.as_of_date,
    performance.model_id,
    performance.realised_precision,
    performance.promised_precision,
    performance.expected_precision,
    performance.expected_precision_inspected,
    performance.estimate_status,
    performance.establishments_inspected,
    performance.establishments_ranked
from marts.fct_model_performance as performance
where performance.cut = %(cut)s
order by performance.as_of_date, performance.model_id
