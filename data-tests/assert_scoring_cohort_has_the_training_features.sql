-- ml_scoring_cohort carries exactly the feature columns of ml_features, in the same order and with
-- the same types, so a model trained on one scores the other. Returns the columns that differ.
with

training as (
    {{ canvass.relation_columns(
        ref('ml_features'), ['inspection_id', 'establishment_id', 'license_number', 'inspection_date']
    ) }}
),

scoring as (
    {{ canvass.relation_columns(ref('ml_scoring_cohort'), ['establishment_id', 'license_number', 'as_of_date']) }}
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
    or training.position != scoring.position
