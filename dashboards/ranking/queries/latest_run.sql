-- The scoring run the dashboard shows: the current run as dbt defines it (marts.dim_scoring_runs,
-- the latest as-of date of the model that scored most recently). No row when nothing is scored.
select
    runs.model_id,
    runs.as_of_date,
    runs.scored_at,
    runs.scored_establishments
from marts.dim_scoring_runs as runs
where runs.is_current
