-- Grain: one model used by one experiment, as a cross-validation model or as the deployed refit.
with

source as (
    select
        experiment_hash,
        model_id,
        role
    from {{ source('ml', 'experiment_models') }}
),

renamed as (
    select
        experiment_hash,
        model_id,
        role as model_role
    from source
)

select * from renamed
