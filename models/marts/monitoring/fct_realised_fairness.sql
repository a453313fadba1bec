-- Grain: one metric of one group of one attribute of one scoring run: the disparity measured on
-- what the inspections found since, beside the disparity the model's selection-time audit measured
-- on its test window (through the model's group: the deployed model is a refit of a selected group,
-- audited window by window; the mean over its windows).
with

realised as (
    select
        as_of_date,
        model_id,
        attribute_name,
        attribute_value,
        metric,
        group_size,
        metric_value,
        reference_group,
        disparity,
        is_fair,
        monitored_at
    from {{ ref('stg_monitoring__fairness') }}
),

models as (
    select
        model_id,
        model_group_id
    from {{ ref('stg_ml__models') }}
),

audits as (
    select
        model_id,
        attribute_name,
        attribute_value,
        metric,
        disparity
    from {{ ref('stg_ml__bias_audits') }}
),

selection_time as (
    select
        models.model_group_id,
        audits.attribute_name,
        audits.attribute_value,
        audits.metric,
        avg(audits.disparity) as disparity_at_selection
    from audits
    inner join models
        on audits.model_id = models.model_id
    group by
        models.model_group_id,
        audits.attribute_name,
        audits.attribute_value,
        audits.metric
),

final as (
    select
        realised.as_of_date,
        realised.model_id,
        realised.attribute_name,
        realised.attribute_value,
        realised.metric,
        realised.group_size,
        realised.metric_value,
        realised.reference_group,
        realised.disparity,
        realised.is_fair,
        selection_time.disparity_at_selection,
        realised.monitored_at
    from realised
    left join models
        on realised.model_id = models.model_id
    left join selection_time
        on
            models.model_group_id = selection_time.model_group_id
            and realised.attribute_name = selection_time.attribute_name
            and realised.attribute_value = selection_time.attribute_value
            and realised.metric = selection_time.metric
)

select * from final
