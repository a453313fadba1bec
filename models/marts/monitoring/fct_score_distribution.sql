-- Grain: one scoring run (model_id, as_of_date): the distribution of its scores and calibrated
-- probabilities, so a shift of the whole ranking shows over time (the score's drift statistic
-- compares two runs; this shows every run).
with

scores as (
    select
        model_id,
        as_of_date,
        score,
        probability
    from {{ ref('stg_ml__scores') }}
),

final as (
    select
        model_id,
        as_of_date,
        count(*) as establishments_scored,
        avg(score) as mean_score,
        percentile_cont(0.1) within group (order by score) as score_p10,
        percentile_cont(0.25) within group (order by score) as score_p25,
        percentile_cont(0.5) within group (order by score) as score_median,
        percentile_cont(0.75) within group (order by score) as score_p75,
        percentile_cont(0.9) within group (order by score) as score_p90,
        avg(probability) as mean_probability
    from scores
    group by model_id, as_of_date
)

select * from final
