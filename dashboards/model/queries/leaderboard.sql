-- The leaderboard of the experiment whose model scores now (marts.fct_model_evaluations): each
-- model group and baseline with its mean over the cross-validation windows, best first.
select
    evaluations.candidate_kind,
    evaluations.candidate_name,
    evaluations.is_deployed_group,
    count(distinct evaluations.test_start_date) as windows,
    avg(
        case
            when evaluations.metric = 'precision@' and evaluations.parameter = %(cut)s
                then evaluations.metric_value
        end
    ) as mean_precision,
    min(
        case
            when evaluations.metric = 'precision@' and evaluations.parameter = %(cut)s
                then evaluations.metric_value
        end
    ) as worst_precision,
    avg(
        case
            when evaluations.metric = 'recall@' and evaluations.parameter = %(cut)s
                then evaluations.metric_value
        end
    ) as mean_recall,
    avg(case when evaluations.metric = 'days_earlier' then evaluations.metric_value end)
        as mean_days_earlier,
    avg(case when evaluations.metric = 'roc_auc' then evaluations.metric_value end) as mean_roc_auc
from marts.fct_model_evaluations as evaluations
where evaluations.is_latest_experiment
group by
    evaluations.candidate_kind,
    evaluations.candidate_name,
    evaluations.is_deployed_group
order by mean_precision desc nulls last, evaluations.candidate_name
