-- The City's other datasets beside the inspections (warehouse/datasets.py holds their contracts):
-- 311 sanitation complaints, burglaries, daily weather and the violation counts of inspections
-- without violation text. Each loads like the inspections: one row per key as the source last
-- published it, every earlier version kept in its history table, the batch that wrote it.

alter table meta.ingest_batches add column if not exists dataset text not null
default 'food_inspections';

create table if not exists raw.sanitation_complaints (
    service_request_number text primary key,
    creation_date date not null,
    status text,
    completion_date date,
    type_of_service_request text,
    violation_nature text,
    street_address text,
    zip_code text,
    ward bigint,
    police_district bigint,
    community_area bigint,
    latitude double precision,
    longitude double precision,
    batch_id uuid not null,
    loaded_at timestamptz not null default now()
);

create table if not exists raw.burglaries (
    id bigint primary key,
    case_number text,
    date date not null,
    block text,
    iucr text,
    primary_type text,
    description text,
    location_description text,
    arrest boolean,
    domestic boolean,
    beat text,
    district text,
    ward bigint,
    community_area bigint,
    updated_on date,
    latitude double precision,
    longitude double precision,
    batch_id uuid not null,
    loaded_at timestamptz not null default now()
);

-- GHCN-Daily units: temperatures in tenths of a degree C, precipitation in tenths of a mm, snow
-- and snow depth in mm, wind in tenths of m/s.
create table if not exists raw.weather_daily (
    date date primary key,
    station text,
    tmax bigint,
    tmin bigint,
    prcp bigint,
    snow bigint,
    snwd bigint,
    awnd bigint,
    batch_id uuid not null,
    loaded_at timestamptz not null default now()
);

create table if not exists raw.violation_counts (
    inspection_id bigint primary key,
    critical_count bigint,
    serious_count bigint,
    minor_count bigint,
    batch_id uuid not null,
    loaded_at timestamptz not null default now()
);

create table if not exists raw.sanitation_complaints_history (
    like raw.sanitation_complaints,
    superseded_at timestamptz not null default now(),
    superseded_by_batch uuid not null
);

create table if not exists raw.burglaries_history (
    like raw.burglaries,
    superseded_at timestamptz not null default now(),
    superseded_by_batch uuid not null
);

create table if not exists raw.weather_daily_history (
    like raw.weather_daily,
    superseded_at timestamptz not null default now(),
    superseded_by_batch uuid not null
);

create table if not exists raw.violation_counts_history (
    like raw.violation_counts,
    superseded_at timestamptz not null default now(),
    superseded_by_batch uuid not null
);

create index if not exists sanitation_complaints_loaded_at_idx
on raw.sanitation_complaints (loaded_at);
create index if not exists burglaries_loaded_at_idx on raw.burglaries (loaded_at);
