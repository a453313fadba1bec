-- The scoring run the dashboard shows: the current run as dbt defines it (marts.dim_scoring_runs,
-- the latest as-of date of the model that scored most recently), with the model as people name it
-- (marts.dim_models: version, algorithm, alias). No row when nothing is scored.
select
    runs.model_id,
    runs.as_of_date,
    runs.scored_at,
    runs.scored_establishments,
    models.model_version,
    models.algorithm,
    models.model_alias
from marts.dim_scoring_runs as runs
left join marts.dim_models as models
    on runs.model_id = models.model_id
where runs.is_current
