-- Grain: one establishment scored by one model as of one date.
with

source as (
    select
        model_id,
        establishment_id,
        license_number,
        as_of_date,
        score,
        probability,
        rank_abs,
        scored_at
    from {{ source('ml', 'scores') }}
),

renamed as (
    select
        model_id,
        establishment_id,
        license_number,
        as_of_date,
        score,
        probability,
        rank_abs as score_rank,
        scored_at
    from source
)

select * from renamed
