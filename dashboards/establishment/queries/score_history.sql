-- The establishment's score and rank in every scoring run that scored it, oldest first, with the
-- model and how many the run ranked (marts.fct_rankings, marts.dim_scoring_runs).
select
    rankings.as_of_date,
    rankings.model_id,
    rankings.score,
    rankings.score_rank,
    runs.scored_establishments,
    rankings.is_current_run
from marts.fct_rankings as rankings
inner join marts.dim_scoring_runs as runs
    on
        rankings.model_id = runs.model_id
        and rankings.as_of_date = runs.as_of_date
where rankings.establishment_id = %(establishment_id)s
order by rankings.as_of_date, rankings.model_id
