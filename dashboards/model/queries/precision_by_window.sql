-- precision at the cut on every cross-validation window of the experiment whose model scores
-- now, per model group and baseline (marts.fct_model_evaluations).
select
    evaluations.candidate_kind,
    evaluations.candidate_name,
    evaluations.is_deployed_group,
    evaluations.test_start_date,
    evaluations.metric_value as window_precision
from marts.fct_model_evaluations as evaluations
where
    evaluations.is_latest_experiment
    and evaluations.metric = 'precision@'
    and evaluations.parameter = %(cut)s
order by evaluations.candidate_name, evaluations.test_start_date
