{#-
    The one definition of the history features, shared by training (ml_features, through
    int_inspections__history) and scoring (ml_scoring_cohort).

    `timeline` names a relation or CTE with one row per inspection (is_event) and/or per point at
    which features are wanted (is_point); a row may be both. Columns:
        row_key, establishment_id, zip, facility_group, event_date (date), event_order (bigint),
        is_event, is_point, has_outcome, is_failed, result,
        critical_violation_count, serious_violation_count
    Every window ends one day before the row's date (`range ... interval '1 day' preceding`), so a
    point sees only inspections on strictly earlier dates: same-day inspections never see each other.
    Returns one row per point: row_key plus the history features.
-#}
{% macro as_of_features(timeline) -%}
    {{ return(adapter.dispatch('as_of_features', 'canvass')(timeline)) }}
{%- endmacro %}

{% macro default__as_of_features(timeline) -%}
    select
        row_key,
        establishment_id,
        event_date,
        count(case when is_event then 1 end) over establishment_before as prior_inspections,
        count(case when is_event and is_failed then 1 end) over establishment_before as prior_fails,
        coalesce(
            sum(case when is_event then critical_violation_count end) over establishment_before, 0
        ) as prior_critical_violations,
        coalesce(
            sum(case when is_event then serious_violation_count end) over establishment_before, 0
        ) as prior_serious_violations,
        min(case when is_event then event_date end) over establishment_before as first_seen_date,
        max(case when is_event then event_date end) over establishment_before as last_inspection_date,
        max(case when is_event and is_failed then event_date end) over establishment_before as last_fail_date,
        substr(
            max(
                case
                    when is_event
                        then to_char(event_date, 'YYYYMMDD') || lpad(cast(event_order as text), 20, '0') || result
                end
            ) over establishment_before,
            29
        ) as last_result,
        count(case when is_event and is_failed then 1 end) over establishment_1y as fails_1y,
        count(case when is_event and has_outcome then 1 end) over establishment_1y as outcomes_1y,
        count(case when is_event and is_failed then 1 end) over establishment_3y as fails_3y,
        count(case when is_event and has_outcome then 1 end) over establishment_3y as outcomes_3y,
        count(case when is_event and is_failed then 1 end) over zip_1y as zip_fails_1y,
        count(case when is_event and has_outcome then 1 end) over zip_1y as zip_outcomes_1y,
        count(case when is_event and is_failed then 1 end) over facility_group_1y as facility_group_fails_1y,
        count(case when is_event and has_outcome then 1 end) over facility_group_1y as facility_group_outcomes_1y,
        is_point
    from {{ timeline }}
    window
        establishment_before as (
            partition by establishment_id order by event_date
            range between unbounded preceding and interval '1 day' preceding
        ),
        establishment_1y as (
            partition by establishment_id order by event_date
            range between interval '365 days' preceding and interval '1 day' preceding
        ),
        establishment_3y as (
            partition by establishment_id order by event_date
            range between interval '1095 days' preceding and interval '1 day' preceding
        ),
        zip_1y as (
            partition by zip order by event_date
            range between interval '365 days' preceding and interval '1 day' preceding
        ),
        facility_group_1y as (
            partition by facility_group order by event_date
            range between interval '365 days' preceding and interval '1 day' preceding
        )
{%- endmacro %}

{#-
    The feature columns, in contract order, from a relation `h` produced by as_of_features and the
    point's own attributes (`facility_group`, `risk_level`, `inspection_type`, `zip`, `as_of`).
    Used verbatim by ml_features and ml_scoring_cohort so both expose the same columns.
-#}
{% macro feature_columns(h, point, as_of) -%}
        {{ point }}.facility_group,
        {{ point }}.risk_level,
        {{ point }}.inspection_type,
        {{ point }}.zip,
        {{ h }}.prior_inspections,
        {{ h }}.prior_fails,
        {{ h }}.prior_critical_violations,
        {{ h }}.prior_serious_violations,
        {{ dbt.datediff(h ~ '.last_inspection_date', as_of, 'day') }} as days_since_last_inspection,
        {{ dbt.datediff(h ~ '.last_fail_date', as_of, 'day') }} as days_since_last_fail,
        {{ h }}.last_result,
        cast({{ h }}.fails_1y as {{ dbt.type_float() }}) / nullif({{ h }}.outcomes_1y, 0) as fail_rate_1y,
        cast({{ h }}.fails_3y as {{ dbt.type_float() }}) / nullif({{ h }}.outcomes_3y, 0) as fail_rate_3y,
        case
            when {{ point }}.zip is not null
                then cast({{ h }}.zip_fails_1y as {{ dbt.type_float() }}) / nullif({{ h }}.zip_outcomes_1y, 0)
        end as zip_fail_rate_365d,
        cast({{ h }}.facility_group_fails_1y as {{ dbt.type_float() }})
        / nullif({{ h }}.facility_group_outcomes_1y, 0) as facility_group_fail_rate_365d,
        {{ dbt.datediff(h ~ '.first_seen_date', as_of, 'day') }} as days_since_first_seen,
        cast(extract(month from {{ as_of }}) as integer) as inspection_month,
        {{ canvass.iso_weekday(as_of) }} as inspection_weekday
{%- endmacro %}
