-- Grain: one trained model (a model group on one training window).
with

source as (
    select
        model_id,
        model_group_id,
        train_start,
        train_end,
        test_start,
        test_end,
        train_rows,
        git_commit,
        created_at
    from {{ source('ml', 'models') }}
),

renamed as (
    select
        model_id,
        model_group_id,
        train_start as train_start_date,
        train_end as train_end_date,
        test_start as test_start_date,
        test_end as test_end_date,
        train_rows,
        test_start is null as is_trained_on_all_rows,
        git_commit,
        created_at as trained_at
    from source
)

select * from renamed
