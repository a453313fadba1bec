-- The features behind the establishment's current score, most weighed first: label, unit, value,
-- the model's weight, and their direction in this run: the correlation, over every establishment
-- the run scored, between a numeric feature's value and the score (null for categories and for
-- features that do not vary). It says how the feature moves with the score here, not why
-- (marts.fct_ranking_explanations, marts.fct_rankings).
with

current_run as (
    select
        runs.model_id,
        runs.as_of_date
    from marts.dim_scoring_runs as runs
    where runs.is_current
),

numeric_values as (
    select
        explanations.feature,
        cast(explanations.feature_value as double precision) as feature_number,
        rankings.score
    from marts.fct_ranking_explanations as explanations
    inner join current_run
        on
            explanations.model_id = current_run.model_id
            and explanations.as_of_date = current_run.as_of_date
    inner join marts.fct_rankings as rankings
        on
            explanations.model_id = rankings.model_id
            and explanations.as_of_date = rankings.as_of_date
            and explanations.establishment_id = rankings.establishment_id
    where
        explanations.feature_unit is distinct from 'category'
        and explanations.feature_value ~ '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$'
),

directions as (
    select
        numeric_values.feature,
        corr(numeric_values.feature_number, numeric_values.score) as score_correlation
    from numeric_values
    group by numeric_values.feature
)

select
    explanations.feature,
    explanations.feature_label,
    explanations.feature_unit,
    explanations.feature_value,
    explanations.model_weight,
    explanations.features_as_of_date,
    directions.score_correlation
from marts.fct_ranking_explanations as explanations
inner join current_run
    on
        explanations.model_id = current_run.model_id
        and explanations.as_of_date = current_run.as_of_date
left join directions
    on explanations.feature = directions.feature
where explanations.establishment_id = %(establishment_id)s
order by explanations.weight_rank
