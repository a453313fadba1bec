-- Grain: one inspection (deduplicated). establishment_id is null when the row carries neither a
-- licence nor a name or address, so no establishment can be named.
with

inspections as (
    select
        inspection_id,
        establishment_id,
        license_number,
        dba_name,
        facility_type,
        facility_group,
        risk_level,
        address,
        zip,
        latitude,
        longitude,
        inspection_date,
        inspection_type,
        result,
        is_failed
    from {{ ref('int_inspections__deduplicated') }}
),

violation_counts as (
    select
        inspection_id,
        violation_count,
        critical_violation_count,
        serious_violation_count,
        minor_violation_count
    from {{ ref('int_inspections__violations_counted') }}
),

joined as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.license_number,
        inspections.dba_name,
        inspections.facility_type,
        inspections.facility_group,
        inspections.risk_level,
        inspections.address,
        inspections.zip,
        inspections.latitude,
        inspections.longitude,
        inspections.inspection_date,
        inspections.inspection_type,
        inspections.result,
        inspections.is_failed,
        violation_counts.violation_count,
        violation_counts.critical_violation_count,
        violation_counts.serious_violation_count,
        violation_counts.minor_violation_count
    from inspections
    left join violation_counts
        on inspections.inspection_id = violation_counts.inspection_id
)

select * from joined
