-- The bias audit on realised outcomes (the monitoring issue, item 6): for a past scoring run, the
-- Aequitas audit of its inspected establishments, the list being its top k% of the whole ranking;
-- replaced as labels arrive. Compared with ml.bias_audits, the audit made at selection time.
create table if not exists monitoring.fairness (
    as_of_date date not null,
    model_id text not null,
    attribute_name text not null,
    attribute_value text not null,
    metric text not null,
    group_size integer not null,
    value double precision,
    reference_group text not null,
    disparity double precision,
    is_fair boolean,
    monitor_run_id uuid not null,
    monitored_at timestamptz not null default now(),
    primary key (as_of_date, model_id, attribute_name, attribute_value, metric)
);
