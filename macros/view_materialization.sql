{#-
    Views on Postgres: dbt's own materialization, except that a view whose definition has not
    changed is left alone. dbt re-creates every view on every build (create, two renames, a drop,
    the comments: about 0.2 s of a node each on the 2-core machine), and the staging views over
    the sources never change between weeks: 25 of the week's nodes did that for nothing.

    "Not changed": the digest of what the materialization would write (the compiled SQL, the
    description and column docs persist_docs writes, the grants, dbt's version) equals the one
    stored when the view was made, and the view's definition is still the one it was made with
    (an md5 of pg_get_viewdef: `create or replace view` by hand keeps the rule and its comment).
    Both are stored as the comment of the view's rewrite rule, which Postgres drops with the view.
    A view dbt dropped (a cascade from its parent) or anyone re-created has no digest and is built
    again; so is every view under --full-refresh, or with hooks.
-#}
{%- materialization view, adapter='postgres' -%}
    {%- set digest = local_md5(
        sql
        ~ tojson(model.get('description'))
        ~ tojson(model.get('columns'))
        ~ tojson(config.get('persist_docs'))
        ~ tojson(config.get('grants'))
        ~ dbt_version
    ) -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set unchanged = false -%}
    {%- if existing is not none and existing.is_view and not should_full_refresh()
        and not pre_hooks and not post_hooks -%}
        {%- call statement('main', fetch_result=True) -%}
            select descriptions.description = '{{ digest }} ' || md5(pg_get_viewdef(rules.ev_class))
            from pg_catalog.pg_rewrite as rules
            inner join pg_catalog.pg_description as descriptions
                on
                    descriptions.objoid = rules.oid
                    and descriptions.classoid = 'pg_catalog.pg_rewrite'::regclass
            where
                rules.ev_class = to_regclass('{{ existing.include(database=false) }}')
                and rules.rulename = '_RETURN'
        {%- endcall -%}
        {%- set stored = load_result('main')['data'] -%}
        {%- set unchanged = stored | length == 1 and stored[0][0] -%}
    {%- endif -%}
    {%- if unchanged -%}
        {{ log("view " ~ this ~ " unchanged: left alone") }}
        {{ return({'relations': [existing]}) }}
    {%- endif -%}
    {%- set result = dbt.materialization_view_default() -%}
    {%- set view = this.incorporate(type='view').include(database=false) -%}
    {%- call statement('canvass_view_digest') -%}
        do $digest$
        begin
            execute format(
                'comment on rule "_RETURN" on %s is %L',
                '{{ view }}'::regclass,
                '{{ digest }} ' || md5(pg_get_viewdef('{{ view }}'::regclass))
            );
        end
        $digest$
    {%- endcall -%}
    {{ adapter.commit() }}
    {{ return(result) }}
{%- endmaterialization -%}
