-- Grain: one input feature of one model group, in the order the group was trained on.
with

model_groups as (
    select
        model_group_id,
        feature_list
    from {{ source('ml', 'model_groups') }}
),

features as (
    select
        model_group_id,
        feature,
        feature_position
    from model_groups
    {{ canvass.array_to_rows('feature_list', 'group_features', 'feature', 'feature_position') }}
)

select * from features
