-- Grain: one model group (algorithm and hyperparameters on one feature list and label).
with

source as (
    select
        model_group_id,
        algorithm,
        hyperparameters,
        label
    from {{ source('ml', 'model_groups') }}
),

renamed as (
    select
        model_group_id,
        algorithm as estimator_class_path,
        {{ canvass.regex_replace('algorithm', '^.*[.]', '') }} as algorithm,
        cast(hyperparameters as {{ dbt.type_string() }}) as hyperparameters,
        label
    from source
)

select * from renamed
