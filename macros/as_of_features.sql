{#-
    The one definition of the history features, shared by training (ml_features, through
    int_inspections__history) and scoring (ml_scoring_cohort).

    `timeline` names a relation or CTE with one row per inspection (is_event) and/or per point at
    which features are wanted (is_point); a row may be both. Columns:
        row_key, establishment_id, event_date (date), event_order (bigint),
        is_event, is_point, has_outcome, is_failed, result,
        critical_violation_count, serious_violation_count
    Every window ends one day before the row's date (macro days_before_range), so a
    point sees only inspections on strictly earlier dates: same-day inspections never see each other.
    Returns one row per timeline row: row_key plus the establishment's history features. Every
    window is partitioned by establishment, so an establishment's features depend on its own
    inspections only (what lets int_inspections__history rebuild just the establishments that
    changed). The zip and facility-group rates come from macro area_fail_rates. Columns listed in
    `carry` are passed through unchanged.
-#}
{% macro as_of_features(timeline, carry=[]) -%}
    select
        row_key,
        {%- for column in carry %}
        {{ column }},
        {%- endfor %}
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
                        then {{ canvass.date_key('event_date') }}
                            || lpad(cast(event_order as {{ dbt.type_string() }}), 20, '0') || result
                end
            ) over establishment_before,
            29
        ) as last_result,
        count(case when is_event and is_failed then 1 end) over establishment_1y as fails_1y,
        count(case when is_event and has_outcome then 1 end) over establishment_1y as outcomes_1y,
        count(case when is_event and is_failed then 1 end) over establishment_3y as fails_3y,
        count(case when is_event and has_outcome then 1 end) over establishment_3y as outcomes_3y,
        is_point
    from {{ timeline }}
    window
        establishment_before as (
            partition by establishment_id order by {{ canvass.days_before_range('event_date') }}
        ),
        establishment_1y as (
            partition by establishment_id order by {{ canvass.days_before_range('event_date', 365) }}
        ),
        establishment_3y as (
            partition by establishment_id order by {{ canvass.days_before_range('event_date', 1095) }}
        )
{%- endmacro %}

{#-
    The per-day counts area_fail_rates windows over, from a relation or CTE `inspections` with zip,
    facility_group, inspection_date and is_failed: one row per zip and day, one per facility group and
    day (area_type, area_id, outcome_date, fails, outcomes). The one definition training
    (int_inspections__area_fail_rates) and scoring (ml_scoring_cohort) share.
-#}
{% macro area_daily_outcomes(inspections) -%}
    select
        'zip' as area_type,
        zip as area_id,
        inspection_date as outcome_date,
        count(case when is_failed then 1 end) as fails,
        count(is_failed) as outcomes
    from {{ inspections }}
    where zip is not null
    group by zip, inspection_date
    union all
    select
        'facility_group' as area_type,
        facility_group as area_id,
        inspection_date as outcome_date,
        count(case when is_failed then 1 end) as fails,
        count(is_failed) as outcomes
    from {{ inspections }}
    group by facility_group, inspection_date
{%- endmacro %}

{#-
    Fail rates of an area (a zip, a facility group) over the 365, 90 and 30 days before each date,
    from strictly earlier dates. `daily` names a relation or CTE with one row per area and day:
        area_type, area_id, outcome_date (date), fails, outcomes
    (a point at which a rate is wanted but no inspection happened is a row with zero counts).
    Windowing per-day counts rather than inspections keeps each area's partition small (at most one
    row per day) however many inspections a large area, such as restaurants, holds.
    Returns area_type, area_id, outcome_date, fails_1y, outcomes_1y, fails_90d, outcomes_90d,
    fails_30d, outcomes_30d.
-#}
{% macro area_fail_rates(daily) -%}
    select
        area_type,
        area_id,
        outcome_date,
        coalesce(sum(fails) over area_1y, 0) as fails_1y,
        coalesce(sum(outcomes) over area_1y, 0) as outcomes_1y,
        coalesce(sum(fails) over area_90d, 0) as fails_90d,
        coalesce(sum(outcomes) over area_90d, 0) as outcomes_90d,
        coalesce(sum(fails) over area_30d, 0) as fails_30d,
        coalesce(sum(outcomes) over area_30d, 0) as outcomes_30d
    from {{ daily }}
    window
        area_1y as (
            partition by area_type, area_id order by {{ canvass.days_before_range('outcome_date', 365) }}
        ),
        area_90d as (
            partition by area_type, area_id order by {{ canvass.days_before_range('outcome_date', 90) }}
        ),
        area_30d as (
            partition by area_type, area_id order by {{ canvass.days_before_range('outcome_date', 30) }}
        )
{%- endmacro %}

{#-
    The feature columns, in contract order, from a relation `h` produced by as_of_features, the
    point's own attributes (`facility_group`, `risk_level`, `inspection_type`, `zip`, `as_of`) and
    the area rates of the point's zip (`zip_rates`) and facility group (`group_rates`) from
    area_fail_rates. Used verbatim by ml_features and ml_scoring_cohort so both expose the same columns.
-#}
{% macro feature_columns(h, point, as_of, zip_rates, group_rates) -%}
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
                then cast({{ zip_rates }}.fails_1y as {{ dbt.type_float() }}) / nullif({{ zip_rates }}.outcomes_1y, 0)
        end as zip_fail_rate_365d,
        cast({{ group_rates }}.fails_1y as {{ dbt.type_float() }})
        / nullif({{ group_rates }}.outcomes_1y, 0) as facility_group_fail_rate_365d,
        case
            when {{ point }}.zip is not null
                then cast({{ zip_rates }}.fails_90d as {{ dbt.type_float() }}) / nullif({{ zip_rates }}.outcomes_90d, 0)
        end as zip_fail_rate_90d,
        case
            when {{ point }}.zip is not null
                then cast({{ zip_rates }}.fails_30d as {{ dbt.type_float() }}) / nullif({{ zip_rates }}.outcomes_30d, 0)
        end as zip_fail_rate_30d,
        {{ dbt.datediff(h ~ '.first_seen_date', as_of, 'day') }} as days_since_first_seen,
        cast(extract(month from {{ as_of }}) as integer) as inspection_month,
        {{ canvass.iso_weekday(as_of) }} as inspection_weekday
{%- endmacro %}

{#- A window's ordering and frame over the `days` days before the row's date (all earlier days
    when `days` is none), ending the day before: `order by {{ canvass.days_before_range(...) }}`.
    Postgres orders by the date with interval offsets; Spark by the day number (its interval
    frames want a timestamp). -#}
{% macro days_before_range(date_column, days=none) -%}
    {{ return(adapter.dispatch('days_before_range', 'canvass')(date_column, days)) }}
{%- endmacro %}

{% macro postgres__days_before_range(date_column, days=none) -%}
    {{ date_column }}
    range between {{ 'unbounded' if days is none else "interval '" ~ days ~ " days'" }} preceding
    and interval '1 day' preceding
{%- endmacro %}

{% macro spark__days_before_range(date_column, days=none) -%}
    unix_date({{ date_column }})
    range between {{ 'unbounded' if days is none else days }} preceding and 1 preceding
{%- endmacro %}

{% macro default__days_before_range(date_column, days=none) -%}
    {{ canvass.no_engine_variant('days_before_range') }}
{%- endmacro %}

{#- A date as sortable text, YYYYMMDD. -#}
{% macro date_key(date_expression) -%}
    {{ return(adapter.dispatch('date_key', 'canvass')(date_expression)) }}
{%- endmacro %}

{% macro postgres__date_key(date_expression) -%}
    to_char({{ date_expression }}, 'YYYYMMDD')
{%- endmacro %}

{% macro spark__date_key(date_expression) -%}
    date_format({{ date_expression }}, 'yyyyMMdd')
{%- endmacro %}

{% macro default__date_key(date_expression) -%}
    {{ canvass.no_engine_variant('date_key') }}
{%- endmacro %}
