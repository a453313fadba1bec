-- What each feature group buys (ml/ablation.py, `canvass ablation`): one row per run, label and
-- step, each step adding its feature groups to the ones before; means over the experiment's
-- monthly windows.
create table if not exists ml.ablations (
    ablation_id uuid not null,
    experiment_hash text not null,
    model text not null,
    data_until date,
    label text not null,
    step_order integer not null,
    step text not null,
    feature_groups jsonb not null,
    n_features integer not null,
    windows integer not null,
    test_rows integer not null,
    precision_at_10_pct double precision,
    roc_auc double precision,
    days_earlier double precision,
    ran_at timestamptz not null default now(),
    primary key (ablation_id, label, step_order)
);
