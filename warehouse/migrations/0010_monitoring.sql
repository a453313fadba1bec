-- The monitor stage's results (flows/monitor.py, ml/monitoring.py, warehouse/slas.py). Each
-- table is written idempotently: a re-run of the monitor for the same scoring run replaces its
-- rows. dbt reads them as the `monitoring` source (models/staging/monitoring/).

-- One row per monitor run: which scoring run it watched, on which clock, and its worst status.
create table if not exists monitoring.runs (
    monitor_run_id uuid primary key,
    as_of_date date,
    model_id text,
    clock timestamptz not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text check (status in ('ok', 'warn', 'alert', 'breach', 'unknown'))
);

-- Drift of the deployed model's features (and its score) for a scoring run, against the training
-- frame (`comparison = 'training'`) and the previous scoring run (`'previous_run'`).
create table if not exists monitoring.drift (
    as_of_date date not null,
    model_id text not null,
    comparison text not null check (comparison in ('training', 'previous_run')),
    feature text not null,
    statistic text not null,
    value double precision,
    warn_at double precision not null,
    alert_at double precision not null,
    status text not null check (status in ('ok', 'warn', 'alert', 'unknown')),
    detail text not null default '',
    reference_rows integer not null,
    current_rows integer not null,
    monitor_run_id uuid not null,
    monitored_at timestamptz not null default now(),
    primary key (as_of_date, model_id, comparison, feature, statistic)
);

-- Realised precision of a past scoring run's ranking, recomputed as inspections arrive, beside
-- what cross-validation promised for the model at the same cut.
create table if not exists monitoring.performance (
    as_of_date date not null,
    model_id text not null,
    cut text not null,
    ranked integer not null,
    inspected integer not null,
    failed integer not null,
    realised_precision double precision,
    base_rate double precision,
    expected_precision double precision,
    labels_through date,
    monitor_run_id uuid not null,
    monitored_at timestamptz not null default now(),
    primary key (as_of_date, model_id, cut)
);

-- The SLA board: one row per (monitor run, SLA) with its value, threshold and status.
alter table monitoring.sla_checks add column if not exists monitor_run_id uuid;
alter table monitoring.sla_checks add column if not exists kind text;
alter table monitoring.sla_checks add column if not exists status text;
alter table monitoring.sla_checks add column if not exists value double precision;
alter table monitoring.sla_checks add column if not exists threshold_value double precision;
alter table monitoring.sla_checks add column if not exists unit text;
alter table monitoring.sla_checks add column if not exists detail text;
create unique index if not exists sla_checks_run_check
    on monitoring.sla_checks (monitor_run_id, check_name);

-- Every scoring run's whole ranking, written once as Parquet under the landing URL
-- (scores/as_of_date=.../<model_id>.parquet), so it can be audited after ml.scores is pruned.
create table if not exists ml.score_archives (
    model_id text not null references ml.models (model_id),
    as_of_date date not null,
    url text not null,
    sha256 text not null,
    rows integer not null,
    bytes bigint not null,
    archived_at timestamptz not null default now(),
    primary key (model_id, as_of_date)
);
