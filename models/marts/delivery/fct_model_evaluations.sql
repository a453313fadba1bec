-- Grain: one metric of one candidate (a model group or a baseline rule) on one cross-validation
-- test window of one experiment: the leaderboard and precision@k by window come from here.
-- `is_latest_experiment` marks the experiment of the latest deployment (the one that scores now).
with

evaluations as (
    select
        model_id,
        metric,
        parameter,
        metric_value
    from {{ ref('stg_ml__evaluations') }}
),

experiment_models as (
    select
        experiment_hash,
        model_id
    from {{ ref('stg_ml__experiment_models') }}
    where model_role = 'cv'
),

models as (
    select
        model_id,
        model_group_id,
        test_start_date,
        test_end_date
    from {{ ref('stg_ml__models') }}
),

model_groups as (
    select
        model_group_id,
        algorithm,
        hyperparameters
    from {{ ref('stg_ml__model_groups') }}
),

baselines as (
    select
        experiment_hash,
        baseline_name,
        test_start_date,
        test_end_date,
        metric,
        parameter,
        metric_value
    from {{ ref('stg_ml__baseline_evaluations') }}
),

-- The cuts each experiment evaluated (its baselines carry exactly its top-k and capacity
-- parameters): a reused model keeps the evaluations of earlier experiments at other cuts (another
-- daily capacity), which are not this experiment's.
experiment_cuts as (
    select distinct
        experiment_hash,
        parameter
    from baselines
),

baselined_experiments as (
    select distinct experiment_hash
    from baselines
),

latest_deployment as (
    select
        model_id,
        experiment_hash,
        model_group_id
    from {{ ref('stg_ml__deployments') }}
    order by deployed_at desc, deployment_id desc
    limit 1
),

-- The experiment that chose the champion most recently: a new experiment that selects the same
-- model again (same group, same rows) records no new deployment, yet its cuts are the current ones.
latest_selection as (
    select selections.experiment_hash
    from {{ ref('stg_ml__selections') }} as selections
    inner join latest_deployment
        on selections.deployed_model_id = latest_deployment.model_id
    order by selections.selected_at desc, selections.selection_id desc
    limit 1
),

latest_experiment as (
    select
        coalesce(latest_selection.experiment_hash, latest_deployment.experiment_hash)
            as experiment_hash,
        latest_deployment.model_group_id
    from latest_deployment
    left join latest_selection
        on true
),

candidates as (
    select
        experiment_models.experiment_hash,
        'model' as candidate_kind,
        models.model_group_id as candidate_id,
        model_groups.algorithm || ' ' || model_groups.hyperparameters as candidate_name,
        models.model_id,
        models.test_start_date,
        models.test_end_date,
        evaluations.metric,
        evaluations.parameter,
        evaluations.metric_value
    from evaluations
    inner join experiment_models
        on evaluations.model_id = experiment_models.model_id
    inner join models
        on evaluations.model_id = models.model_id
    inner join model_groups
        on models.model_group_id = model_groups.model_group_id
    left join experiment_cuts
        on
            experiment_models.experiment_hash = experiment_cuts.experiment_hash
            and evaluations.parameter = experiment_cuts.parameter
    left join baselined_experiments
        on experiment_models.experiment_hash = baselined_experiments.experiment_hash
    where
        coalesce(evaluations.parameter, '') = ''
        or experiment_cuts.parameter is not null
        or baselined_experiments.experiment_hash is null

    union all

    select
        experiment_hash,
        'baseline' as candidate_kind,
        baseline_name as candidate_id,
        'baseline: ' || baseline_name as candidate_name,
        null as model_id,
        test_start_date,
        test_end_date,
        metric,
        parameter,
        metric_value
    from baselines
),

final as (
    select
        candidates.experiment_hash,
        candidates.candidate_kind,
        candidates.candidate_id,
        candidates.candidate_name,
        candidates.model_id,
        candidates.test_start_date,
        candidates.test_end_date,
        candidates.metric,
        candidates.parameter,
        candidates.metric_value,
        coalesce(candidates.experiment_hash = latest_experiment.experiment_hash, false)
            as is_latest_experiment,
        coalesce(candidates.candidate_id = latest_experiment.model_group_id, false)
            as is_deployed_group
    from candidates
    left join latest_experiment
        on true
)

select * from final
