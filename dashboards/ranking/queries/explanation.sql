-- Why one establishment of the current run ranks where it does: each feature of the model with
-- its label, unit, value and the model's weight, most weighed first (marts.fct_ranking_explanations).
select
    explanations.feature,
    explanations.feature_label,
    explanations.feature_unit,
    explanations.feature_value,
    explanations.model_weight,
    explanations.features_as_of_date
from marts.fct_ranking_explanations as explanations
where
    explanations.establishment_id = %(establishment_id)s
    and explanations.model_id = %(model_id)s
order by explanations.weight_rank
