-- Grain: one feature of the current model for one establishment of the current ranking: the value
-- the model saw (marts.ml_scoring_cohort as of the run's date, else the cohort's newest date), the
-- label and unit people read (seed feature_catalogue), and the model's weight on the feature: its
-- share of the model's total absolute importance, with the one-hot columns of a categorical feature
-- added up (ml.feature_importances.source_feature). model_weight is 0 for a feature the model gave
-- no weight, and null when the model recorded no importances at all.
with

current_run as (
    select
        model_id,
        as_of_date
    from {{ ref('dim_scoring_runs') }}
    where is_current
),

ranking as (
    select
        establishment_id,
        score_rank
    from {{ ref('fct_rankings') }}
    where is_current_run
),

cohort as (
    select *
    from {{ ref('ml_scoring_cohort') }}
),

models as (
    select
        model_id,
        model_group_id
    from {{ ref('stg_ml__models') }}
),

model_features as (
    select
        model_group_id,
        feature,
        feature_position
    from {{ ref('stg_ml__model_features') }}
),

importances as (
    select
        model_id,
        feature,
        importance
    from {{ ref('stg_ml__feature_importances') }}
),

catalogue as (
    select
        feature,
        label,
        unit,
        feature_group
    from {{ ref('feature_catalogue') }}
),

current_features as (
    select
        current_run.model_id,
        current_run.as_of_date,
        model_features.feature,
        model_features.feature_position
    from current_run
    inner join models
        on current_run.model_id = models.model_id
    inner join model_features
        on models.model_group_id = model_features.model_group_id
),

weights as (
    select
        importances.feature,
        sum(abs(importances.importance)) as weight
    from importances
    inner join current_run
        on importances.model_id = current_run.model_id
    group by importances.feature
),

weight_total as (
    select sum(weight) as total_weight
    from weights
    where feature is not null
),

cohort_rows as (
    select
        cohort.*,
        row_number() over (
            partition by cohort.establishment_id
            order by
                case when cohort.as_of_date = current_run.as_of_date then 0 else 1 end,
                cohort.as_of_date desc
        ) as row_choice
    from cohort
    cross join current_run
    where cohort.establishment_id in (select ranking.establishment_id from ranking)
),

chosen_rows as (
    select *
    from cohort_rows
    where row_choice = 1
),

feature_values as (
    select
        chosen_rows.establishment_id,
        chosen_rows.as_of_date as features_as_of_date,
        row_values.feature,
        row_values.feature_value
    from chosen_rows
    {{ canvass.columns_to_rows('chosen_rows', 'row_values', 'feature', 'feature_value') }}
),

explained as (
    select
        current_features.model_id,
        current_features.as_of_date,
        ranking.establishment_id,
        ranking.score_rank,
        feature_values.features_as_of_date,
        current_features.feature,
        current_features.feature_position,
        catalogue.label as feature_label,
        catalogue.unit as feature_unit,
        catalogue.feature_group,
        feature_values.feature_value,
        case
            when weight_total.total_weight > 0
                then coalesce(weights.weight, 0) / weight_total.total_weight
        end as model_weight
    from current_features
    cross join ranking
    cross join weight_total
    left join feature_values
        on
            ranking.establishment_id = feature_values.establishment_id
            and current_features.feature = feature_values.feature
    left join catalogue
        on current_features.feature = catalogue.feature
    left join weights
        on current_features.feature = weights.feature
),

final as (
    select
        model_id,
        as_of_date,
        establishment_id,
        score_rank,
        features_as_of_date,
        feature,
        feature_label,
        feature_unit,
        feature_group,
        feature_value,
        model_weight,
        row_number() over (
            partition by establishment_id
            order by coalesce(model_weight, 0) desc, feature_position
        ) as weight_rank
    from explained
)

select * from final
