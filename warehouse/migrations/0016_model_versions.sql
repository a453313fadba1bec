-- Model governance (the delivery issue, item 3): the models a selection proposed, as numbered
-- versions with a description and tags, the aliases `champion` (the model that scores: the latest
-- deployment) and `challenger` (proposed, waiting for approval), and every change of either with
-- who made it, when and why.

-- One version per model a selection proposed (MLflow's registered model version).
create table if not exists ml.model_versions (
    version integer generated always as identity primary key,
    model_id text not null unique references ml.models (model_id),
    experiment_hash text not null references ml.experiments (experiment_hash),
    model_group_id text not null references ml.model_groups (model_group_id),
    rule text not null,
    description text not null,
    tags jsonb not null default '{}',
    card text not null default '',  -- its model card, Markdown (ml/model_card.py)
    registered_by text not null,
    registered_at timestamptz not null default now()
);

-- Every move of an alias: proposed (challenger), promoted (champion), rolled back (champion to
-- the one before), withdrawn (the challenger cleared). The latest event of an alias says where it
-- points now; a null model_id means it points nowhere.
create table if not exists ml.alias_events (
    event_id bigint generated always as identity primary key,
    alias text not null check (alias in ('champion', 'challenger')),
    model_id text references ml.models (model_id),
    action text not null check (action in ('propose', 'promote', 'rollback', 'withdraw')),
    actor text not null,
    reason text not null,
    happened_at timestamptz not null default now()
);
create index if not exists alias_events_latest_idx
    on ml.alias_events (alias, happened_at desc, event_id desc);

-- Who deployed (a selection promoting at once, or a person), and by which action.
alter table ml.deployments add column if not exists deployed_by text not null default 'selection';
alter table ml.deployments add column if not exists action text not null default 'promote'
    check (action in ('promote', 'rollback'));
