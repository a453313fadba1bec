-- Feature importances name the input feature each encoded column comes from (one-hot `zip_60601`
-- and `zip_infrequent_sklearn` both come from `zip`), so the delivery marts can weigh the features
-- people read. Rows written before are recomputed by the next training run.
alter table ml.feature_importances add column if not exists source_feature text;
