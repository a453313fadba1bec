-- Grain: one selection rule's choice of a model group in one experiment.
with

source as (
    select
        selection_id,
        experiment_hash,
        model_group_id,
        deployed_model_id,
        rule,
        metric,
        value,
        reason,
        selected_at
    from {{ source('ml', 'selections') }}
),

renamed as (
    select
        selection_id,
        experiment_hash,
        model_group_id,
        deployed_model_id,
        rule as selection_rule,
        metric as selection_metric,
        value as selection_value,
        reason as selection_reason,
        selected_at
    from source
)

select * from renamed
