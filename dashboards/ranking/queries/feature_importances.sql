-- What the model weighs most, as ml.feature_importances recorded it (encoded feature names).
select
    importances.feature,
    importances.importance
from ml.feature_importances as importances
where importances.model_id = %(model_id)s
order by importances.rank_abs
