-- A digest of each raw row's values (warehouse/load.py, row_digests): a batch whose rows raw
-- holds already, unchanged, is recognised by its keys and digests alone, without sending the rows
-- themselves to compare, so re-loading known rows costs less than loading them new. Rows loaded
-- before this migration have none: their next load compares them in full and stores it.
-- The history tables keep the values a correction replaced, not their digests.

alter table raw.food_inspections add column if not exists row_digest bigint;
alter table raw.violation_counts add column if not exists row_digest bigint;
alter table raw.sanitation_complaints add column if not exists row_digest bigint;
alter table raw.burglaries add column if not exists row_digest bigint;
alter table raw.weather_daily add column if not exists row_digest bigint;
