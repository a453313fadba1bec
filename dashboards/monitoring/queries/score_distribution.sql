-- The score distribution of every scoring run (marts.fct_score_distribution).
select
    distribution.as_of_date,
    distribution.model_id,
    distribution.establishments_scored,
    distribution.score_p10,
    distribution.score_p25,
    distribution.score_median,
    distribution.score_p75,
    distribution.score_p90,
    distribution.mean_probability
from marts.fct_score_distribution as distribution
order by distribution.as_of_date, distribution.model_id
