-- Grain: one metric of one group of one attribute in a model's selection-time bias audit.
with

source as (
    select
        model_id,
        threshold,
        attribute_name,
        attribute_value,
        metric,
        group_size,
        value,
        reference_group,
        disparity,
        is_fair
    from {{ source('ml', 'bias_audits') }}
),

renamed as (
    select
        model_id,
        threshold as audited_list,
        attribute_name,
        attribute_value,
        metric,
        group_size,
        value as metric_value,
        reference_group,
        disparity,
        is_fair
    from source
)

select * from renamed
