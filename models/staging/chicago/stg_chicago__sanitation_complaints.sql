-- Grain: one 311 sanitation code complaint (raw.sanitation_complaints), typed and cleaned. raw holds
-- one row per service request number: when the City published a request twice (re-completed, with
-- another completion date), the loader kept the version later in the source (warehouse/load.py)
-- and the other in raw.sanitation_complaints_history. Requests the City closed as duplicates of
-- another ("Completed - Dup", "Open - Dup") are flagged: the features count each complaint once.
with

source as (
    select
        service_request_number,
        creation_date,
        status,
        completion_date,
        violation_nature,
        street_address,
        zip_code,
        community_area,
        latitude,
        longitude,
        batch_id,
        loaded_at
    from {{ source('chicago', 'sanitation_complaints') }}
),

cleaned as (
    select
        service_request_number,
        creation_date as created_date,
        completion_date,
        lower({{ canvass.clean_text('status') }}) as status,
        coalesce(lower(status) like '%dup%', false) as is_duplicate,
        {{ canvass.clean_text('violation_nature') }} as violation_nature,
        upper({{ canvass.clean_text('street_address') }}) as street_address,
        {{ canvass.regex_substring('zip_code', '^\s*([0-9]{5})') }} as zip,
        community_area,
        latitude,
        longitude,
        batch_id,
        loaded_at
    from source
)

select * from cleaned
