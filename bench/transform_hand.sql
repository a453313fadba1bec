-- The yardstick of bench/transform.py: the columns of marts.ml_features in one hand-written
-- CREATE TABLE AS, straight from raw.food_inspections and the seed tables, with window functions
-- directly over the inspection rows (no intermediate tables). It applies the same cleaning,
-- deduplication, violation severity and as-of rules as the dbt models, and the benchmark checks
-- that both produce the same rows.
create table public.hand_features as
with

cleaned as (
    select
        r.inspection_id,
        case when r.license_number > 0 then r.license_number end as license_number,
        nullif(trim(regexp_replace(r.facility_type, '\s\s+|[^\S ]', ' ', 'g')), '') as facility_type,
        cast(substring(r.risk from '^\s*Risk\s*([123])') as integer) as risk_level,
        substring(r.zip from '^\s*([0-9]{5})') as zip,
        r.inspection_date,
        lower(nullif(trim(regexp_replace(r.inspection_type, '\s\s+|[^\S ]', ' ', 'g')), '')) as inspection_type_key,
        lower(nullif(trim(regexp_replace(r.results, '\s\s+|[^\S ]', ' ', 'g')), '')) as result_key,
        case when upper(trim(r.violations)) not in ('', 'NIL') then r.violations end as violations,
        case
            when r.license_number > 0 then cast(r.license_number as text)
            when nullif(trim(r.dba_name), '') is not null or nullif(trim(r.address), '') is not null
                then 'unlicensed-' || md5(lower(coalesce(trim(r.dba_name), '')) || '|' || lower(coalesce(trim(r.address), '')))
        end as establishment_id
    from raw.food_inspections as r
),

normalised as (
    select
        c.*,
        coalesce(g.facility_group, case when c.facility_type is null then 'unknown' else 'other' end) as facility_group,
        coalesce(t.inspection_type, case when c.inspection_type_key is null then 'unknown' else 'other' end)
            as inspection_type,
        coalesce(m.result, 'other') as result,
        m.is_failed,
        row_number() over (
            partition by c.establishment_id, c.inspection_date, c.inspection_type_key, c.result_key, c.violations
            order by c.inspection_id
        ) as copy_number
    from cleaned as c
    left join staging.facility_type_groups as g on lower(c.facility_type) = g.facility_type
    left join staging.inspection_type_map as t on c.inspection_type_key = t.inspection_type_raw
    left join staging.result_map as m on c.result_key = m.result_raw
),

inspections as (
    select * from normalised where copy_number = 1 or establishment_id is null
),

-- Violation numbers: the first item's leading number, and every number after a ' | ' separator.
violation_numbers as (
    select
        i.inspection_id,
        cast(coalesce(n.match[1], n.match[2]) as integer) as violation_number,
        case when i.inspection_date < date '2018-07-01' then 'pre_2018_07' else 'from_2018_07' end as code_era
    from inspections as i
    cross join lateral regexp_matches(i.violations, '^\s*([0-9]+)\.|\|\s*([0-9]+)\.\s', 'g') as n (match)
    where i.violations is not null
),

violation_counts as (
    select
        v.inspection_id,
        count(case when c.severity = 'critical' then 1 end) as critical_count,
        count(case when c.severity = 'serious' then 1 end) as serious_count
    from violation_numbers as v
    left join staging.violation_codes as c
        on v.code_era = c.code_era and v.violation_number = c.violation_number
    group by v.inspection_id
),

events as (
    select
        i.*,
        case
            when i.violations is not null or i.result not in ('fail', 'pass_with_conditions')
                then coalesce(vc.critical_count, 0)
        end as critical_violation_count,
        case
            when i.violations is not null or i.result not in ('fail', 'pass_with_conditions')
                then coalesce(vc.serious_count, 0)
        end as serious_violation_count
    from inspections as i
    left join violation_counts as vc on i.inspection_id = vc.inspection_id
),

history as (
    select
        e.*,
        count(*) over est_before as prior_inspections,
        count(case when e.is_failed then 1 end) over est_before as prior_fails,
        coalesce(sum(e.critical_violation_count) over est_before, 0) as prior_critical_violations,
        coalesce(sum(e.serious_violation_count) over est_before, 0) as prior_serious_violations,
        min(e.inspection_date) over est_before as first_seen_date,
        max(e.inspection_date) over est_before as last_inspection_date,
        max(case when e.is_failed then e.inspection_date end) over est_before as last_fail_date,
        substr(
            max(to_char(e.inspection_date, 'YYYYMMDD') || lpad(cast(e.inspection_id as text), 20, '0') || e.result)
                over est_before,
            29
        ) as last_result,
        count(case when e.is_failed then 1 end) over est_1y as fails_1y,
        count(e.is_failed) over est_1y as outcomes_1y,
        count(case when e.is_failed then 1 end) over est_3y as fails_3y,
        count(e.is_failed) over est_3y as outcomes_3y,
        count(case when e.is_failed then 1 end) over zip_1y as zip_fails_1y,
        count(e.is_failed) over zip_1y as zip_outcomes_1y,
        count(case when e.is_failed then 1 end) over group_1y as group_fails_1y,
        count(e.is_failed) over group_1y as group_outcomes_1y
    from events as e
    window
        est_before as (
            partition by e.establishment_id order by e.inspection_date
            range between unbounded preceding and interval '1 day' preceding
        ),
        est_1y as (
            partition by e.establishment_id order by e.inspection_date
            range between interval '365 days' preceding and interval '1 day' preceding
        ),
        est_3y as (
            partition by e.establishment_id order by e.inspection_date
            range between interval '1095 days' preceding and interval '1 day' preceding
        ),
        zip_1y as (
            partition by e.zip order by e.inspection_date
            range between interval '365 days' preceding and interval '1 day' preceding
        ),
        group_1y as (
            partition by e.facility_group order by e.inspection_date
            range between interval '365 days' preceding and interval '1 day' preceding
        )
)

select
    inspection_id,
    establishment_id,
    license_number,
    inspection_date,
    facility_group,
    risk_level,
    inspection_type,
    zip,
    prior_inspections,
    prior_fails,
    prior_critical_violations,
    prior_serious_violations,
    inspection_date - last_inspection_date as days_since_last_inspection,
    inspection_date - last_fail_date as days_since_last_fail,
    last_result,
    cast(fails_1y as double precision) / nullif(outcomes_1y, 0) as fail_rate_1y,
    cast(fails_3y as double precision) / nullif(outcomes_3y, 0) as fail_rate_3y,
    case when zip is not null then cast(zip_fails_1y as double precision) / nullif(zip_outcomes_1y, 0) end
        as zip_fail_rate_365d,
    cast(group_fails_1y as double precision) / nullif(group_outcomes_1y, 0) as facility_group_fail_rate_365d,
    inspection_date - first_seen_date as days_since_first_seen,
    cast(extract(month from inspection_date) as integer) as inspection_month,
    cast(extract(isodow from inspection_date) as integer) as inspection_weekday
from history
where establishment_id is not null and is_failed is not null
