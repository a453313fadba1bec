-- Grain: one encoded feature of one model, with the input feature it comes from.
with

source as (
    select
        model_id,
        feature,
        importance,
        rank_abs,
        source_feature
    from {{ source('ml', 'feature_importances') }}
),

renamed as (
    select
        model_id,
        feature as encoded_feature,
        source_feature as feature,
        importance,
        rank_abs as importance_rank
    from source
)

select * from renamed
