-- Grain: one metric of one group of one attribute in a past scoring run's realised audit.
with

source as (
    select
        as_of_date,
        model_id,
        attribute_name,
        attribute_value,
        metric,
        group_size,
        value,
        reference_group,
        disparity,
        is_fair,
        monitored_at
    from {{ source('monitoring', 'fairness') }}
),

renamed as (
    select
        as_of_date,
        model_id,
        attribute_name,
        attribute_value,
        metric,
        group_size,
        value as metric_value,
        reference_group,
        disparity,
        is_fair,
        monitored_at
    from source
)

select * from renamed
