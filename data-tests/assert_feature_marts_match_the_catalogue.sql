-- The feature columns of ml_features are exactly the features of the seed feature_catalogue, and
-- text columns are its categorical ones, numbers its numeric ones: the catalogue is the one list
-- of features, so a feature added to the SQL and not to the catalogue (or the other way) fails.
-- (assert_scoring_cohort_has_the_training_features holds ml_scoring_cohort to the same columns.)
with

catalogue as (
    select
        feature,
        kind
    from {{ ref('feature_catalogue') }}
),

mart_columns as (
    select
        column_name as feature,
        case when is_text then 'categorical' else 'numeric' end as kind
    from (
        {{ canvass.relation_columns(
            ref('ml_features'), ['inspection_id', 'establishment_id', 'license_number', 'inspection_date']
        ) }}
    ) as relation_columns
)

select
    coalesce(catalogue.feature, mart_columns.feature) as feature,
    catalogue.kind as catalogue_kind,
    mart_columns.kind as mart_kind
from catalogue
full outer join mart_columns
    on catalogue.feature = mart_columns.feature
where
    catalogue.feature is null
    or mart_columns.feature is null
    or catalogue.kind != mart_columns.kind
