-- Grain: one raw inspection row (raw.food_inspections), typed, renamed and cleaned: names and
-- addresses trimmed and upper-cased, the risk level and the zip parsed, licences <= 0 and (0, 0)
-- coordinates read as missing, the establishment key of the shared contract, and the lower-cased
-- spellings of facility type, inspection type and result that int_inspections__deduplicated maps
-- through the seeds. No joins and no deduplication: that is intermediate work.
with

source as (
    select
        inspection_id,
        dba_name,
        aka_name,
        license_number,
        facility_type,
        risk,
        address,
        city,
        state,
        zip,
        inspection_date,
        inspection_type,
        results,
        violations,
        latitude,
        longitude,
        batch_id,
        loaded_at
    from {{ source('chicago', 'food_inspections') }}
),

cleaned as (
    select
        inspection_id,
        -- the contract's establishment key: the licence, else a hash of name and address
        {{ canvass.establishment_key('license_number', 'dba_name', 'address') }} as establishment_id,
        case when license_number > 0 then license_number end as license_number,
        upper({{ canvass.clean_text('dba_name') }}) as dba_name,
        upper({{ canvass.clean_text('aka_name') }}) as aka_name,
        {{ canvass.clean_text('facility_type') }} as facility_type,
        lower({{ canvass.clean_text('facility_type') }}) as facility_type_key,
        cast({{ canvass.regex_substring('risk', '^\s*Risk\s*([123])') }} as integer) as risk_level,
        upper({{ canvass.clean_text('address') }}) as address,
        upper({{ canvass.clean_text('city') }}) as city,
        upper({{ canvass.clean_text('state') }}) as state,
        {{ canvass.regex_substring('zip', '^\s*([0-9]{5})') }} as zip,
        -- (0, 0) is how some copies wrote a missing location
        case when latitude != 0 and longitude != 0 then latitude end as latitude,
        case when latitude != 0 and longitude != 0 then longitude end as longitude,
        inspection_date,
        lower({{ canvass.clean_text('inspection_type') }}) as inspection_type_key,
        lower({{ canvass.clean_text('results') }}) as result_key,
        case when upper(trim(violations)) not in ('', 'NIL') then violations end as violations,
        batch_id,
        loaded_at
    from source
)

select * from cleaned
