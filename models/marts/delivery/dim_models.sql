-- Grain: one trained model of the registry, described for people: its algorithm and training
-- window, and for a deployed model when and by which rule it was deployed. `is_deployed` marks the
-- model of the latest deployment (the one the score flow uses); a deployed model's calibration says
-- how its scores become probabilities.
with

models as (
    select
        model_id,
        model_group_id,
        train_start_date,
        train_end_date,
        test_start_date,
        test_end_date,
        train_rows,
        is_trained_on_all_rows,
        trained_at
    from {{ ref('stg_ml__models') }}
),

model_groups as (
    select
        model_group_id,
        estimator_class_path,
        algorithm,
        hyperparameters,
        label
    from {{ ref('stg_ml__model_groups') }}
),

deployments as (
    select
        deployment_id,
        model_id,
        experiment_hash,
        selection_rule,
        deployed_at
    from {{ ref('stg_ml__deployments') }}
),

selections as (
    select
        experiment_hash,
        model_group_id,
        selection_rule,
        selection_reason
    from {{ ref('stg_ml__selections') }}
),

calibrations as (
    select
        model_id,
        calibration_method,
        calibration_rows,
        ece_before,
        ece_after
    from {{ ref('stg_ml__calibrations') }}
),

versions as (
    select
        model_id,
        model_version,
        version_description,
        model_card,
        model_alias
    from {{ ref('stg_ml__model_versions') }}
),

latest_deployment as (
    select
        deployment_id,
        model_id
    from deployments
    order by deployed_at desc, deployment_id desc
    limit 1
),

first_deployment as (
    select
        model_id,
        min(deployment_id) as deployment_id
    from deployments
    group by model_id
),

final as (
    select
        models.model_id,
        models.model_group_id,
        model_groups.algorithm,
        model_groups.estimator_class_path,
        model_groups.hyperparameters,
        model_groups.label,
        models.train_start_date,
        models.train_end_date,
        models.test_start_date,
        models.test_end_date,
        models.train_rows,
        models.is_trained_on_all_rows,
        models.trained_at,
        deployments.deployed_at,
        deployments.selection_rule,
        selections.selection_reason,
        calibrations.calibration_method,
        calibrations.calibration_rows,
        calibrations.ece_before as calibration_ece_before,
        calibrations.ece_after as calibration_ece_after,
        versions.model_version,
        versions.version_description,
        versions.model_card,
        case
            when latest_deployment.model_id is not null then 'champion'
            else coalesce(versions.model_alias, '')
        end as model_alias,
        latest_deployment.model_id is not null as is_deployed
    from models
    inner join model_groups
        on models.model_group_id = model_groups.model_group_id
    left join first_deployment
        on models.model_id = first_deployment.model_id
    left join deployments
        on first_deployment.deployment_id = deployments.deployment_id
    left join selections
        on
            deployments.experiment_hash = selections.experiment_hash
            and models.model_group_id = selections.model_group_id
            and deployments.selection_rule = selections.selection_rule
    left join calibrations
        on models.model_id = calibrations.model_id
    left join versions
        on models.model_id = versions.model_id
    left join latest_deployment
        on models.model_id = latest_deployment.model_id
)

select * from final
