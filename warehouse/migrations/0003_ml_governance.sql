-- ML governance beyond 0001's registry: which models an experiment used, baseline results,
-- Aequitas bias audits, and the deployment history the score flow reads.

-- An experiment re-run reuses identical models, so models link to experiments many-to-many.
create table if not exists ml.experiment_models (
    experiment_hash text not null references ml.experiments (experiment_hash) on delete cascade,
    model_id text not null references ml.models (model_id) on delete cascade,
    role text not null check (role in ('cv', 'deployed')),
    primary key (experiment_hash, model_id)
);

-- The simple rules a model must beat, evaluated on the same test windows.
create table if not exists ml.baseline_evaluations (
    experiment_hash text not null references ml.experiments (experiment_hash) on delete cascade,
    baseline text not null,
    test_start date not null,
    test_end date not null,
    metric text not null,
    parameter text not null default '',
    value double precision,
    primary key (experiment_hash, baseline, test_start, metric, parameter)
);

-- One row per model, threshold, attribute group and metric (Aequitas group metrics and disparity).
create table if not exists ml.bias_audits (
    model_id text not null references ml.models (model_id) on delete cascade,
    threshold text not null,
    attribute_name text not null,
    attribute_value text not null,
    metric text not null,
    group_size integer not null,
    group_label_pos integer not null,
    predicted_pos integer not null,
    value double precision,
    reference_group text not null,
    disparity double precision,
    is_fair boolean,
    audited_at timestamptz not null default now(),
    primary key (model_id, threshold, attribute_name, attribute_value, metric)
);

-- Each time a selection puts a model into service; the score flow uses the latest row.
create table if not exists ml.deployments (
    deployment_id bigint generated always as identity primary key,
    model_id text not null references ml.models (model_id),
    experiment_hash text not null references ml.experiments (experiment_hash),
    model_group_id text not null references ml.model_groups (model_group_id),
    rule text not null,
    deployed_at timestamptz not null default now()
);
create index if not exists deployments_latest_idx on ml.deployments (deployed_at desc, deployment_id desc);

grant select on ml.experiment_models, ml.baseline_evaluations, ml.bias_audits, ml.deployments
    to canvass_reader;
