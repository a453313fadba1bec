{#-
    The lake's raw tables as Spark's sources (on-run-start; nothing on any other engine).

    warehouse/lake.py exports the raw tables the project reads to <CANVASS_LAKE_DIR>/raw/<table>/
    as Parquet (`canvass lake export`); each of the project's sources in schema raw becomes the
    external table raw.<table> on that folder, registered again at every build so that it reads
    the latest export. `canvass lake build` checks the folders are there before it starts dbt.
-#}
{% macro register_lake() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set lake = env_var('CANVASS_LAKE_DIR', '.lake') ~ '/raw' -%}
        {%- set tables = graph.sources.values() | selectattr('schema', 'equalto', 'raw')
            | map(attribute='identifier') | unique | sort -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in tables -%}
            {%- do run_query('drop table if exists raw.' ~ table) -%}
            {%- do run_query("create table raw." ~ table ~ " using parquet location '" ~ lake ~ "/" ~ table ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
