{#- Custom generic tests (there is no dbt hub here). Each returns the offending rows. -#}

{#- The combination of `columns` is unique. -#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as copies
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every non-null value lies within [min_value, max_value] (either bound optional). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, where=none) %}
    select {{ column_name }}
    from {{ model }}
    where
        {{ column_name }} is not null
        and (
            false
            {%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
            {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
        )
        {%- if where %} and ({{ where }}){% endif %}
{% endtest %}

{#-
    Leakage guard: a count feature equals a brute-force count of `events` rows of the same entity on
    strictly earlier dates (optionally filtered by `event_filter`). A feature that saw its own date
    or later, or missed an earlier inspection, fails. It re-scans the whole model and its events:
    tagged `whole_table`, so full builds and CI run it and the weekly build leaves it out.
-#}
{% test matches_strictly_earlier_count(model, column_name, key_column, events, entity_column, date_column, event_date_column, event_filter='true') %}
    {{ config(tags=['whole_table']) }}
    with

    points as (
        select
            {{ key_column }} as point_key,
            {{ entity_column }} as entity_id,
            {{ date_column }} as as_of_date,
            {{ column_name }} as feature_value
        from {{ model }}
    ),

    events as (
        select
            {{ entity_column }} as entity_id,
            {{ event_date_column }} as event_date
        from {{ events }}
        where {{ event_filter }}
    ),

    recounted as (
        select
            points.point_key,
            points.entity_id,
            points.as_of_date,
            points.feature_value,
            count(events.event_date) as expected_value
        from points
        left join events
            on
                points.entity_id = events.entity_id
                and events.event_date < points.as_of_date
        group by points.point_key, points.entity_id, points.as_of_date, points.feature_value
    )

    select *
    from recounted
    where feature_value is distinct from expected_value
{% endtest %}

{#-
    Every feature the catalogue bounds holds in `model`: never null where `required`, never below
    `min_value` or above `max_value`. A "days since" feature's minimum of 1 is a leakage guard (0
    would mean it saw its own date). One scan of the model for all of them, where a test per
    column scanned it once each (57 of them, in every weekly build); one row per feature and fault,
    with the rows at fault. The catalogue is read when the test runs.
-#}
{% test within_catalogue_bounds(model, catalogue) %}
    {%- set checks = [] -%}
    {#- dbt docs generate compiles every test, on a warehouse that may not hold the seed yet -#}
    {%- set catalogue_exists = execute and load_relation(catalogue) is not none -%}
    {%- if catalogue_exists -%}
        {%- set bounds = run_query(
            "select feature, required, min_value, max_value from " ~ catalogue
            ~ " where required or min_value is not null or max_value is not null order by feature"
        ) -%}
        {%- for feature, required, min_value, max_value in bounds.rows -%}
            {%- if required -%}
                {%- do checks.append((feature, 'null', feature ~ ' is null')) -%}
            {%- endif -%}
            {%- for bound, word, operator in [(min_value, 'below', '<'), (max_value, 'above', '>')]
                if bound is not none -%}
                {%- do checks.append(
                    (feature, word ~ ' ' ~ ('%g' | format(bound)), feature ~ ' ' ~ operator ~ ' ' ~ bound)
                ) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if checks %}
    with

    faults as (
        select
        {%- for feature, fault, condition in checks %}
            sum(case when {{ condition }} then 1 else 0 end) as fault_{{ loop.index }}
            {{- "," if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),

    by_feature as (
        {%- for feature, fault, condition in checks %}
        select
            '{{ feature }}' as feature,
            '{{ fault }}' as fault,
            fault_{{ loop.index }} as failing_rows
        from faults
        {{- "\n        union all" if not loop.last }}
        {%- endfor %}
    )

    select
        feature,
        fault,
        failing_rows
    from by_feature
    where failing_rows > 0
    {%- elif execute and not catalogue_exists %}
    select
        '{{ catalogue }}' as feature,
        'missing: the catalogue is not loaded (dbt seed)' as fault,
        1 as failing_rows
    {%- else %}
    {#- parsing, or a catalogue that bounds nothing -#}
    select 1 as failing_rows
    where false
    {%- endif %}
{% endtest %}

{#- Every non-null value matches the regular expression `pattern`. -#}
{% test matches_pattern(model, column_name, pattern) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null and not ({{ canvass.regex_matches(column_name, pattern) }})
{% endtest %}

{#- At most one row has `column` true (e.g. the one current scoring run, the one deployed model). -#}
{% test at_most_one_true(model, column) %}
    select count(*) as true_rows
    from {{ model }}
    where {{ column }}
    having count(*) > 1
{% endtest %}

{#- The columns of `relation` as rows (column_name, data_type, is_text, position: 1-based after
    the `skip` columns are left out), from the adapter's own catalogue lookup: the same test SQL on
    every engine, where information_schema is Postgres's. -#}
{% macro relation_columns(relation, skip=[]) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {%- set kept = columns | rejectattr('name', 'in', skip) | list -%}
    {%- for column in kept %}
    select
        '{{ column.name }}' as column_name,
        '{{ column.data_type }}' as data_type,
        {{ 'true' if canvass.is_text_column(column) else 'false' }} as is_text,
        {{ loop.index }} as position
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as data_type,
        false as is_text,
        0 as position
    where false
    {%- endfor %}
{%- endmacro %}

{#- Is a column (from adapter.get_columns_in_relation) text? dbt's Column knows Postgres's names
    (text, varchar, ...) but not Spark's `string`, which it calls not text. -#}
{% macro is_text_column(column) -%}
    {{ return(adapter.dispatch('is_text_column', 'canvass')(column)) }}
{%- endmacro %}

{% macro default__is_text_column(column) -%}
    {{ return(column.is_string()) }}
{%- endmacro %}

{% macro spark__is_text_column(column) -%}
    {{ return(column.dtype | lower in ['string', 'varchar', 'char']) }}
{%- endmacro %}
