-- Grain: one deployment: a model made the one that scores, by a selection rule.
with

source as (
    select
        deployment_id,
        model_id,
        experiment_hash,
        model_group_id,
        rule,
        deployed_at
    from {{ source('ml', 'deployments') }}
),

renamed as (
    select
        deployment_id,
        model_id,
        experiment_hash,
        model_group_id,
        rule as selection_rule,
        deployed_at
    from source
)

select * from renamed
