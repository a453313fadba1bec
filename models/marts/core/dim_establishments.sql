-- Grain: one establishment (licence, or name and address when unlicensed). Descriptive columns
-- take the latest non-empty value the inspections recorded.
with

inspections as (
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
        zip,
        latitude,
        longitude,
        inspection_date,
        result,
        is_failed
    from {{ ref('int_inspections__deduplicated') }}
    where establishment_id is not null
),

summarised as (
    select
        establishment_id,
        max(license_number) as license_number,
        {{ canvass.latest_non_null('dba_name', 'inspection_date desc, inspection_id desc') }} as dba_name,
        {{ canvass.latest_non_null('aka_name', 'inspection_date desc, inspection_id desc') }} as aka_name,
        {{ canvass.latest_non_null('facility_type', 'inspection_date desc, inspection_id desc') }} as facility_type,
        {{ canvass.latest_non_null(
            "case when facility_group != 'unknown' then facility_group end",
            'inspection_date desc, inspection_id desc'
        ) }} as known_facility_group,
        {{ canvass.latest_non_null('risk_level', 'inspection_date desc, inspection_id desc') }} as risk_level,
        {{ canvass.latest_non_null('address', 'inspection_date desc, inspection_id desc') }} as address,
        {{ canvass.latest_non_null('zip', 'inspection_date desc, inspection_id desc') }} as zip,
        {{ canvass.latest_non_null('latitude', 'inspection_date desc, inspection_id desc') }} as latitude,
        {{ canvass.latest_non_null('longitude', 'inspection_date desc, inspection_id desc') }} as longitude,
        min(inspection_date) as first_seen_date,
        max(inspection_date) as last_seen_date,
        max(case when is_failed is not null then inspection_date end) as last_inspection_date,
        {{ canvass.latest_non_null('result', 'inspection_date desc, inspection_id desc') }} as last_result,
        count(*) as inspection_count
    from inspections
    group by establishment_id
),

final as (
    select
        establishment_id,
        license_number,
        -- the one name people read everywhere: doing-business-as, else also-known-as
        coalesce(dba_name, aka_name) as establishment_name,
        dba_name,
        aka_name,
        facility_type,
        coalesce(known_facility_group, 'unknown') as facility_group,
        risk_level,
        address,
        zip,
        latitude,
        longitude,
        first_seen_date,
        last_seen_date,
        last_inspection_date,
        last_result,
        last_result = 'out_of_business' as is_out_of_business,
        inspection_count
    from summarised
)

select * from final
