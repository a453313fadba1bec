-- The scoring run the dashboard shows: the latest as_of_date of the model that scored most
-- recently (newest scored_at in ml.scores). No row when nothing is scored yet.
with
latest_model as (
    select scores.model_id
    from ml.scores as scores
    order by scores.scored_at desc, scores.as_of_date desc
    limit 1
),

current_run as (
    select
        scores.model_id,
        max(scores.as_of_date) as as_of_date
    from ml.scores as scores
    inner join latest_model on scores.model_id = latest_model.model_id
    group by scores.model_id
)

select
    current_run.model_id,
    current_run.as_of_date,
    max(scores.scored_at) as scored_at,
    count(*) as scored_establishments
from current_run
inner join ml.scores as scores
    on
        current_run.model_id = scores.model_id
        and current_run.as_of_date = scores.as_of_date
group by current_run.model_id, current_run.as_of_date
