-- Grain: one inspection of an identified establishment with a pass/fail outcome (same rows as
-- ml_features). has_critical_violation is null when a failing or conditional pass lacks its
-- violation text.
with

inspections as (
    select
        inspection_id,
        establishment_id,
        inspection_date,
        is_failed
    from {{ ref('int_inspections__deduplicated') }}
    where establishment_id is not null and is_failed is not null
),

violation_counts as (
    select
        inspection_id,
        critical_violation_count
    from {{ ref('int_inspections__violations_counted') }}
),

labels as (
    select
        inspections.inspection_id,
        inspections.establishment_id,
        inspections.inspection_date,
        inspections.is_failed,
        violation_counts.critical_violation_count > 0 as has_critical_violation
    from inspections
    left join violation_counts
        on inspections.inspection_id = violation_counts.inspection_id
)

select * from labels
