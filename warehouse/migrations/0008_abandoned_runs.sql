-- A run whose process died is `abandoned`, not `running` for ever (hardening finding 4): the next
-- flow run or batch sees that no session holds the dead run's liveness lock and marks it so,
-- with the time it noticed (warehouse/runs.py).
alter table meta.ingest_batches drop constraint if exists ingest_batches_status_check;
alter table meta.ingest_batches add constraint ingest_batches_status_check
    check (status in ('running', 'succeeded', 'failed', 'abandoned'));
alter table meta.ingest_batches add column if not exists abandoned_at timestamptz;

alter table meta.flow_runs add column if not exists abandoned_at timestamptz;
alter table meta.flow_runs add constraint flow_runs_status_check
    check (status in ('running', 'succeeded', 'failed', 'abandoned'));
