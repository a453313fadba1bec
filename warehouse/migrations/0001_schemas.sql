-- Schemas Canvass owns outside dbt: raw (as loaded), meta (lineage), ml (registry), monitoring.
create schema if not exists raw;
create schema if not exists meta;
create schema if not exists ml;
create schema if not exists monitoring;

-- One row per inspection as the source last published it (newest version wins on inspection_id).
create table if not exists raw.food_inspections (
    inspection_id bigint primary key,
    dba_name text,
    aka_name text,
    license_number bigint,
    facility_type text,
    risk text,
    address text,
    city text,
    state text,
    zip text,
    inspection_date date not null,
    inspection_type text,
    results text,
    violations text,
    latitude double precision,
    longitude double precision,
    location text,
    batch_id uuid not null,
    loaded_at timestamptz not null default now()
);
create index if not exists food_inspections_date_idx on raw.food_inspections (inspection_date);

-- Every earlier version of a record the source corrected, so nothing is lost on upsert.
create table if not exists raw.food_inspections_history (
    like raw.food_inspections,
    superseded_at timestamptz not null default now(),
    superseded_by_batch uuid not null
);

create table if not exists meta.ingest_batches (
    batch_id uuid primary key,
    source text not null,
    parameters jsonb not null default '{}',
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    run_by text,
    host text,
    git_commit text,
    landing_path text,
    landing_sha256 text,
    landing_bytes bigint,
    rows_fetched integer,
    rows_landed integer,
    rows_inserted integer,
    rows_updated integer,
    rows_unchanged integer,
    rows_duplicate integer,
    rows_rejected integer,
    status text not null default 'running'
        check (status in ('running', 'succeeded', 'failed')),
    error text
);

-- Where each source's incremental load continues from; advanced only in the loading transaction.
create table if not exists meta.ingest_watermarks (
    source text primary key,
    last_inspection_date date,
    last_updated_at timestamptz,
    batch_id uuid not null,
    updated_at timestamptz not null default now()
);

create table if not exists meta.ingest_rejects (
    batch_id uuid not null,
    source_row integer not null,
    reason text not null,
    payload jsonb not null,
    rejected_at timestamptz not null default now(),
    primary key (batch_id, source_row)
);

create table if not exists meta.flow_runs (
    flow_run_id uuid primary key,
    flow_name text not null,
    parameters jsonb not null default '{}',
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running',
    git_commit text,
    error text
);

create table if not exists meta.dbt_invocations (
    invocation_id uuid primary key,
    command text not null,
    flow_run_id uuid,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    success boolean not null,
    dbt_version text,
    elapsed_seconds double precision
);

create table if not exists meta.dbt_node_results (
    invocation_id uuid not null references meta.dbt_invocations (invocation_id) on delete cascade,
    unique_id text not null,
    resource_type text not null,
    status text not null,
    failures integer,
    execution_seconds double precision,
    message text,
    rows_affected bigint,
    primary key (invocation_id, unique_id)
);

-- Model registry, after DSSG triage's results schema.
create table if not exists ml.experiments (
    experiment_hash text primary key,
    config jsonb not null,
    created_at timestamptz not null default now()
);

create table if not exists ml.model_groups (
    model_group_id text primary key,
    algorithm text not null,
    hyperparameters jsonb not null,
    feature_list text[] not null,
    label text not null,
    created_at timestamptz not null default now()
);

create table if not exists ml.models (
    model_id text primary key,
    model_group_id text not null references ml.model_groups (model_group_id),
    experiment_hash text not null references ml.experiments (experiment_hash),
    train_start date,
    train_end date not null,
    test_start date,
    test_end date,
    train_rows integer not null,
    artifact_path text not null,
    artifact_sha256 text not null,
    training_seconds double precision not null,
    random_seed integer not null,
    git_commit text,
    library_versions jsonb not null,
    is_deployable boolean not null default false,
    created_at timestamptz not null default now()
);

create table if not exists ml.evaluations (
    model_id text not null references ml.models (model_id) on delete cascade,
    metric text not null,
    parameter text not null default '',
    value double precision,
    primary key (model_id, metric, parameter)
);

create table if not exists ml.test_predictions (
    model_id text not null references ml.models (model_id) on delete cascade,
    inspection_id bigint not null,
    establishment_id text not null,
    inspection_date date not null,
    score double precision not null,
    label smallint not null,
    rank_abs integer not null,
    primary key (model_id, inspection_id)
);

create table if not exists ml.feature_importances (
    model_id text not null references ml.models (model_id) on delete cascade,
    feature text not null,
    importance double precision not null,
    rank_abs integer not null,
    primary key (model_id, feature)
);

create table if not exists ml.selections (
    selection_id bigint generated always as identity primary key,
    experiment_hash text not null references ml.experiments (experiment_hash),
    model_group_id text not null references ml.model_groups (model_group_id),
    deployed_model_id text references ml.models (model_id),
    rule text not null,
    metric text not null,
    value double precision,
    reason text,
    selected_at timestamptz not null default now()
);

create table if not exists ml.scores (
    model_id text not null references ml.models (model_id),
    establishment_id text not null,
    license_number bigint,
    as_of_date date not null,
    score double precision not null,
    rank_abs integer not null,
    scored_at timestamptz not null default now(),
    primary key (model_id, as_of_date, establishment_id)
);
create index if not exists scores_license_idx on ml.scores (license_number, as_of_date desc);

create table if not exists monitoring.sla_checks (
    check_id bigint generated always as identity primary key,
    check_name text not null,
    passed boolean not null,
    observed text,
    threshold text,
    checked_at timestamptz not null default now()
);
