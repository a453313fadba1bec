-- Grain: one inspection. Typed, trimmed, normalised and deduplicated (re-published copies of the
-- same inspection under another id are dropped, keeping the lowest inspection_id).
-- Materialised as an incremental table, the exception to staging views: every model downstream reads
-- it, and recomputing the deduplication for each of them is the slowest part of a build. An
-- incremental run recomputes every establishment a newly loaded or corrected raw row belongs to now
-- or belonged to before (macros/incremental.sql), so the result always equals a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_scope',
    unique_key=['establishment_id', 'inspection_id'],
    indexes=[
        {'columns': ['inspection_id'], 'unique': true},
        {'columns': ['establishment_id']},
    ],
) }}

with

{% if is_incremental() %}
    {{ canvass.establishment_scope_ctes(
        this,
        current_rows=source('chicago', 'food_inspections'),
        current_key=canvass.establishment_key('license_number', 'dba_name', 'address'),
    ) }}
{% endif %}

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
    {% if is_incremental() -%}
        where
            inspection_id in (select changed.inspection_id from changed)
            or {{ canvass.establishment_key('license_number', 'dba_name', 'address') }}
            in (select scope_establishments.establishment_id from scope_establishments)
    {%- endif %}
),

facility_type_groups as (
    select
        facility_type,
        facility_group
    from {{ ref('facility_type_groups') }}
),

inspection_type_map as (
    select
        inspection_type_raw,
        inspection_type
    from {{ ref('inspection_type_map') }}
),

result_map as (
    select
        result_raw,
        result,
        is_failed
    from {{ ref('result_map') }}
),

cleaned as (
    select
        inspection_id,
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
        inspection_date,
        lower({{ canvass.clean_text('inspection_type') }}) as inspection_type_key,
        lower({{ canvass.clean_text('results') }}) as result_key,
        case when upper(trim(violations)) not in ('', 'NIL') then violations end as violations,
        -- (0, 0) is how some copies wrote a missing location
        case when latitude != 0 and longitude != 0 then latitude end as latitude,
        case when latitude != 0 and longitude != 0 then longitude end as longitude,
        batch_id,
        loaded_at,
        -- the contract's establishment key: the licence, else a hash of name and address
        {{ canvass.establishment_key('license_number', 'dba_name', 'address') }} as establishment_id
    from source
),

normalised as (
    select
        cleaned.inspection_id,
        cleaned.establishment_id,
        cleaned.license_number,
        cleaned.dba_name,
        cleaned.aka_name,
        cleaned.facility_type,
        coalesce(
            facility_type_groups.facility_group,
            case when cleaned.facility_type is null then 'unknown' else 'other' end
        ) as facility_group,
        cleaned.risk_level,
        cleaned.address,
        cleaned.city,
        cleaned.state,
        cleaned.zip,
        cleaned.latitude,
        cleaned.longitude,
        cleaned.inspection_date,
        coalesce(
            inspection_type_map.inspection_type,
            case when cleaned.inspection_type_key is null then 'unknown' else 'other' end
        ) as inspection_type,
        coalesce(result_map.result, 'other') as result,
        result_map.is_failed,
        cleaned.violations,
        cleaned.inspection_type_key,
        cleaned.result_key,
        cleaned.batch_id,
        cleaned.loaded_at
    from cleaned
    left join facility_type_groups
        on cleaned.facility_type_key = facility_type_groups.facility_type
    left join inspection_type_map
        on cleaned.inspection_type_key = inspection_type_map.inspection_type_raw
    left join result_map
        on cleaned.result_key = result_map.result_raw
),

ranked as (
    select
        *,
        row_number() over (
            partition by
                establishment_id,
                inspection_date,
                inspection_type_key,
                result_key,
                violations
            order by inspection_id
        ) as copy_number
    from normalised
),

deduplicated as (
    select
        inspection_id,
        establishment_id,
        license_number,
        dba_name,
        aka_name,
        facility_type,
        facility_group,
        risk_level,
        address,
        city,
        state,
        zip,
        latitude,
        longitude,
        inspection_date,
        inspection_type,
        result,
        is_failed,
        violations,
        batch_id,
        loaded_at
    from ranked
    -- an inspection without licence, name or address cannot be matched to any other: keep it
    where copy_number = 1 or establishment_id is null
)

{% if is_incremental() -%}
    {{ canvass.with_scope_markers('deduplicated', 'scope_markers', ['establishment_id', 'inspection_id']) }}
{%- else -%}
    select * from deduplicated
{%- endif %}
