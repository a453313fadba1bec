-- Realised against expected precision of each scoring run at one cut (marts.fct_model_performance).
select
    performance.as_of_date,
    performance.model_id,
    performance.realised_precision,
    performance.expected_precision,
    performance.establishments_inspected,
    performance.establishments_ranked
from marts.fct_model_performance as performance
where performance.cut = %(cut)s
order by performance.as_of_date, performance.model_id
