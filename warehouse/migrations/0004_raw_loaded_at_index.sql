-- Incremental dbt models find the rows loaded since their last run by loaded_at.
create index if not exists food_inspections_loaded_at_idx on raw.food_inspections (loaded_at);
