{#-
    Where dbt-spark's own macros do not fit Canvass (the root project's spark__ versions win over
    the adapter's). The engine variants of Canvass's own SQL sit beside their macros.
-#}

{#- Seeds. dbt-spark 1.11's session connection formats a seed's values into the SQL without
    escaping: a name with an apostrophe breaks the statement and an empty cell becomes the text
    'None'. Here every value is a quoted, escaped literal cast to its column's type, and an empty
    cell is null. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
            (
                {%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast({{ canvass.spark_pattern(value | string) }} as {{ type }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
            ){%- if not loop.last %},{% endif -%}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}

{#- Grants. Spark's session catalog has no SQL authorisation (SHOW GRANTS fails), and on Spark the
    marts are build output, not what the API reads: the read-only role canvass_reader lives on the
    serving Postgres (docs/scale-out.md). A cluster with an authorising catalog would grant here. -#}
{% macro spark__apply_grants(relation, grant_config, should_revoke=True) -%}
    {%- if grant_config -%}
        {{ log("grants on " ~ relation ~ " are not applied on Spark (no SQL authorisation in its catalog)") }}
    {%- endif -%}
{%- endmacro %}
