-- ml_scoring_cohort carries exactly the feature columns of ml_features, in the same order and with
-- the same types, so a model trained on one scores the other. Returns the columns that differ.
with

training as (
    select
        column_name,
        data_type,
        ordinal_position - 4 as feature_position
    from information_schema.columns
    where
        table_schema = '{{ ref("ml_features").schema }}'
        and table_name = '{{ ref("ml_features").identifier }}'
        and column_name not in ('inspection_id', 'establishment_id', 'license_number', 'inspection_date')
),

scoring as (
    select
        column_name,
        data_type,
        ordinal_position - 3 as feature_position
    from information_schema.columns
    where
        table_schema = '{{ ref("ml_scoring_cohort").schema }}'
        and table_name = '{{ ref("ml_scoring_cohort").identifier }}'
        and column_name not in ('establishment_id', 'license_number', 'as_of_date')
)

select
    coalesce(training.column_name, scoring.column_name) as column_name,
    training.data_type as training_type,
    scoring.data_type as scoring_type
from training
full outer join scoring
    on training.column_name = scoring.column_name
where
    training.column_name is null
    or scoring.column_name is null
    or training.data_type != scoring.data_type
    or training.feature_position != scoring.feature_position
