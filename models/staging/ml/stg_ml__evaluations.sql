-- Grain: one metric (with its parameter, e.g. precision@ at 10_pct) of one model on its test window.
with

source as (
    select
        model_id,
        metric,
        parameter,
        value
    from {{ source('ml', 'evaluations') }}
),

renamed as (
    select
        model_id,
        metric,
        parameter,
        value as metric_value
    from source
)

select * from renamed
