-- Each time the weekly cycle (or a replay's week) decided whether to retrain, and why
-- (ml/retraining.py). Written idempotently per as-of date: a re-run replaces the decision.
create table if not exists monitoring.retraining_decisions (
    as_of_date date primary key,
    deployed_model_id text,
    retrain boolean not null,
    reason text not null,
    model_age_days integer,
    drift_alerts integer not null,
    precision_gap double precision,
    trained_model_id text,
    decided_at timestamptz not null default now()
);
