{#-
    Schemas by target. The default target (`dev`, the one every Canvass command and the apps use)
    builds the custom schemas as they are named (staging, intermediate, marts). Any other target
    prefixes them with its own schema, so two people (or CI and a person) on one server never build
    into each other's tables: `dbt build --target sandbox` with CANVASS_DBT_SCHEMA=alice builds
    alice_staging, alice_intermediate and alice_marts.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'dev' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
