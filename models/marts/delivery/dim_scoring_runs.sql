-- Grain: one scoring run: the scores one model wrote as of one date. `is_current` marks the run the
-- API and the dashboard serve: the latest as-of date of the model that scored most recently. This
-- is the one definition of "the current ranking".
with

scores as (
    select
        model_id,
        as_of_date,
        scored_at
    from {{ ref('stg_ml__scores') }}
),

runs as (
    select
        model_id,
        as_of_date,
        max(scored_at) as scored_at,
        count(*) as scored_establishments
    from scores
    group by model_id, as_of_date
),

latest_model as (
    select model_id
    from runs
    order by scored_at desc, as_of_date desc, model_id asc
    limit 1
),

current_run as (
    select
        runs.model_id,
        max(runs.as_of_date) as as_of_date
    from runs
    inner join latest_model
        on runs.model_id = latest_model.model_id
    group by runs.model_id
),

final as (
    select
        runs.model_id,
        runs.as_of_date,
        runs.scored_at,
        runs.scored_establishments,
        current_run.model_id is not null as is_current
    from runs
    left join current_run
        on
            runs.model_id = current_run.model_id
            and runs.as_of_date = current_run.as_of_date
)

select * from final
