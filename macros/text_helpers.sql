{#- Text, regular-expression and row-shaping helpers. Each engine's spelling lives in its own
    `<adapter>__` variant behind adapter.dispatch (today `postgres__`); `default__` fails the
    compilation with a clear error, so an engine without a variant never runs Postgres SQL that
    it would read differently (Spark reads regexp_replace's 'g' flag as a position). -#}

{#- Raise a compilation error: macro `name` has no variant for the target's engine. -#}
{#- Only when compiling (`execute`): parsing renders every model, and a model this engine never
    builds (the selector `lake` on Spark) must not stop the others. -#}
{% macro no_engine_variant(name) -%}
    {%- if execute -%}
    {{ exceptions.raise_compiler_error(
        "canvass." ~ name ~ " has no variant for the " ~ adapter.type() ~ " adapter: write "
        ~ adapter.type() ~ "__" ~ name ~ " in macros/ (the postgres__ variant is Postgres SQL "
        ~ "and may silently mean something else on another engine)"
    ) }}
    {%- endif -%}
{%- endmacro %}

{#- Trim, collapse inner whitespace, empty string -> null. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'canvass')(column)) }}
{%- endmacro %}

{% macro postgres__clean_text(column) -%}
    {#- Only runs of two or more, and single tabs or newlines, are replaced: the same result as
        replacing every '\s+', about seven times faster on long text (most matches are one space). -#}
    nullif(trim(regexp_replace({{ column }}, '\s\s+|[^\S ]', ' ', 'g')), '')
{%- endmacro %}

{% macro default__clean_text(column) -%}
    {{ canvass.no_engine_variant('clean_text') }}
{%- endmacro %}

{#- The text after the first occurrence of the literal `marker` (a quoted SQL string), else null. -#}
{#- Portable: dbt's own position macro has each engine's spelling. -#}
{% macro text_after(column, marker) -%}
    {%- set at = dbt.position(marker, column) -%}
    case
        when {{ at }} > 0
            then substr({{ column }}, {{ at }} + length({{ marker }}))
    end
{%- endmacro %}

{#- The first capture group of `pattern` in `column` (the whole match when there is no group), else null. -#}
{% macro regex_substring(column, pattern) -%}
    {{ return(adapter.dispatch('regex_substring', 'canvass')(column, pattern)) }}
{%- endmacro %}

{% macro postgres__regex_substring(column, pattern) -%}
    substring({{ column }} from '{{ pattern }}')
{%- endmacro %}

{% macro default__regex_substring(column, pattern) -%}
    {{ canvass.no_engine_variant('regex_substring') }}
{%- endmacro %}

{#- Replace every match of `pattern`. -#}
{% macro regex_replace(column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'canvass')(column, pattern, replacement)) }}
{%- endmacro %}

{% macro postgres__regex_replace(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro default__regex_replace(column, pattern, replacement) -%}
    {{ canvass.no_engine_variant('regex_replace') }}
{%- endmacro %}

{#- A join clause that turns `column` into one row per piece split on `pattern`, with the piece's
    1-based position: `cross join <rows> as <alias> (<value_name>, <position_name>)`. -#}
{% macro regex_split_to_rows(column, pattern, alias, value_name, position_name) -%}
    {{ return(adapter.dispatch('regex_split_to_rows', 'canvass')(column, pattern, alias, value_name, position_name)) }}
{%- endmacro %}

{% macro postgres__regex_split_to_rows(column, pattern, alias, value_name, position_name) -%}
    cross join lateral regexp_split_to_table({{ column }}, '{{ pattern }}')
        with ordinality as {{ alias }} ({{ value_name }}, {{ position_name }})
{%- endmacro %}

{% macro default__regex_split_to_rows(column, pattern, alias, value_name, position_name) -%}
    {{ canvass.no_engine_variant('regex_split_to_rows') }}
{%- endmacro %}

{#- The latest non-null value of `column` in a group, latest by `order_by` (an "x desc, y desc" list). -#}
{% macro latest_non_null(column, order_by) -%}
    {{ return(adapter.dispatch('latest_non_null', 'canvass')(column, order_by)) }}
{%- endmacro %}

{% macro postgres__latest_non_null(column, order_by) -%}
    (array_agg({{ column }} order by {{ order_by }}) filter (where {{ column }} is not null))[1]
{%- endmacro %}

{% macro default__latest_non_null(column, order_by) -%}
    {{ canvass.no_engine_variant('latest_non_null') }}
{%- endmacro %}

{#- ISO day of the week of a date: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(date_expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'canvass')(date_expression)) }}
{%- endmacro %}

{% macro postgres__iso_weekday(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro default__iso_weekday(date_expression) -%}
    {{ canvass.no_engine_variant('iso_weekday') }}
{%- endmacro %}

{#- True when `column` matches `pattern`. -#}
{% macro regex_matches(column, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'canvass')(column, pattern)) }}
{%- endmacro %}

{% macro postgres__regex_matches(column, pattern) -%}
    ({{ column }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro default__regex_matches(column, pattern) -%}
    {{ canvass.no_engine_variant('regex_matches') }}
{%- endmacro %}

{#- A join clause that turns an array `column` into one row per element with its 1-based position:
    `cross join <rows> as <alias> (<value_name>, <position_name>)`. -#}
{% macro array_to_rows(column, alias, value_name, position_name) -%}
    {{ return(adapter.dispatch('array_to_rows', 'canvass')(column, alias, value_name, position_name)) }}
{%- endmacro %}

{% macro postgres__array_to_rows(column, alias, value_name, position_name) -%}
    cross join lateral unnest({{ column }}) with ordinality as {{ alias }} ({{ value_name }}, {{ position_name }})
{%- endmacro %}

{% macro default__array_to_rows(column, alias, value_name, position_name) -%}
    {{ canvass.no_engine_variant('array_to_rows') }}
{%- endmacro %}

{#- A join clause that turns every column of the row `row_alias` into a row (column name, value as
    text): `cross join <rows> as <alias> (<key_name>, <value_name>)`. Nulls give a null value. -#}
{% macro columns_to_rows(row_alias, alias, key_name, value_name) -%}
    {{ return(adapter.dispatch('columns_to_rows', 'canvass')(row_alias, alias, key_name, value_name)) }}
{%- endmacro %}

{% macro postgres__columns_to_rows(row_alias, alias, key_name, value_name) -%}
    cross join lateral jsonb_each_text(to_jsonb({{ row_alias }})) as {{ alias }} ({{ key_name }}, {{ value_name }})
{%- endmacro %}

{% macro default__columns_to_rows(row_alias, alias, key_name, value_name) -%}
    {{ canvass.no_engine_variant('columns_to_rows') }}
{%- endmacro %}

{#- Spark variants (Spark SQL, Java regular expressions). A pattern is written once, in the
    Postgres spelling of the models; Spark's string literals read a backslash as an escape, so
    spark_pattern doubles them (Spark would read '\s' as 's'). -#}
{% macro spark_pattern(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{% macro spark__clean_text(column) -%}
    nullif(trim(regexp_replace({{ column }}, {{ canvass.spark_pattern('\s\s+|[^\S ]') }}, ' ')), '')
{%- endmacro %}

{#- regexp_extract returns '' when nothing matches (Postgres: null), so the match is tested first;
    group 1 when the pattern has a capture group, else the whole match (as Postgres's substring). -#}
{% macro spark__regex_substring(column, pattern) -%}
    {%- set group = 1 if modules.re.search('(?<!\\\\)\\((?!\\?)', pattern) else 0 -%}
    case
        when {{ column }} rlike {{ canvass.spark_pattern(pattern) }}
            then regexp_extract({{ column }}, {{ canvass.spark_pattern(pattern) }}, {{ group }})
    end
{%- endmacro %}

{#- Java's replacement text names groups $1 where Postgres writes \1. -#}
{% macro spark__regex_replace(column, pattern, replacement) -%}
    regexp_replace(
        {{ column }}, {{ canvass.spark_pattern(pattern) }},
        {{ canvass.spark_pattern(modules.re.sub('\\\\([0-9])', '$\\1', replacement)) }}
    )
{%- endmacro %}

{#- A lateral view (Spark's join to a generator): positions counted from 1 as in Postgres. -#}
{% macro spark__regex_split_to_rows(column, pattern, alias, value_name, position_name) -%}
    lateral view inline(
        transform(split({{ column }}, {{ canvass.spark_pattern(pattern) }}), (piece, i) -> struct(piece, i + 1))
    ) {{ alias }} as {{ value_name }}, {{ position_name }}
{%- endmacro %}

{#- max_by of the ordering as a struct (compared field by field), null where the value is null so
    those rows are skipped; an "asc" ordering uses min_by. Orderings must all go one way. -#}
{% macro spark__latest_non_null(column, order_by) -%}
    {%- set fields = [] -%}
    {%- set descending = [] -%}
    {%- for part in order_by.split(',') -%}
        {%- do fields.append(modules.re.sub('(?i)\\s+(asc|desc)$', '', part.strip())) -%}
        {%- do descending.append(modules.re.search('(?i)\\sdesc$', part.strip()) is not none) -%}
    {%- endfor -%}
    {%- if descending | unique | list | length > 1 -%}
        {{ exceptions.raise_compiler_error("spark__latest_non_null: '" ~ order_by ~ "' mixes asc and desc") }}
    {%- endif -%}
    {{ 'max_by' if descending[0] else 'min_by' }}(
        {{ column }},
        case when ({{ column }}) is not null then struct({{ fields | join(', ') }}) end
    )
{%- endmacro %}

{% macro spark__iso_weekday(date_expression) -%}
    (weekday({{ date_expression }}) + 1)
{%- endmacro %}

{% macro spark__regex_matches(column, pattern) -%}
    ({{ column }} rlike {{ canvass.spark_pattern(pattern) }})
{%- endmacro %}
