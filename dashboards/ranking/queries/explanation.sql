-- The features the model saw for one establishment: its row of marts.ml_scoring_cohort, the one
-- for the run's as-of date when the cohort still has it, else the newest.
select cohort.*
from marts.ml_scoring_cohort as cohort
where cohort.establishment_id = %(establishment_id)s
order by
    (cohort.as_of_date = %(as_of_date)s) desc,
    cohort.as_of_date desc
limit 1
