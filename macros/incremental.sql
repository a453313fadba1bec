{#-
    Incremental builds that always equal a full refresh.

    A raw row is "changed" when it was loaded (inserted, or corrected by the loader's upsert) after
    the newest `loaded_at` an incremental model already holds. Loads into raw are serialised by the
    loader's lock and stamp every row of a batch with the batch transaction's start time, so a
    newer batch always has a later `loaded_at`. A model that keeps `loaded_at` on its rows therefore
    knows exactly which raw rows it has not seen yet, and no separate bookkeeping table is needed.

    Each incremental model recomputes a *scope* completely and replaces it:
      - per-inspection models (violations): the changed inspections;
      - per-establishment models (staging's deduplication, the history): every establishment a
        changed row belongs to now or belonged to before (a correction can move an inspection from
        one licence to another), since any row of such an establishment can change.
    The model's query returns the recomputed rows plus one "scope marker" row per scope key (macro
    with_scope_markers); strategy `replace_scope` below deletes every existing row that matches a
    marker on any of the `unique_key` columns, then inserts the recomputed rows. Markers make rows
    disappear that the recomputation no longer produces (a row that became a re-published copy, an
    inspection that left an establishment), which plain delete+insert on the new rows cannot do.
-#}

{#- The newest raw load time `relation` has processed ('-infinity' when empty). A table built before
    its model became incremental has no loaded_at: say how to rebuild it instead of failing in SQL. -#}
{% macro loaded_watermark(relation) -%}
    {%- if execute -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- if columns and 'loaded_at' not in columns -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " was built before its model became incremental (it has no loaded_at "
                ~ "column): rebuild it once with `canvass transform --full-refresh` or "
                ~ "`dbt build --full-refresh`"
            ) }}
        {%- endif -%}
    {%- endif -%}
    (select coalesce(max(loaded_at), cast('-infinity' as timestamptz)) from {{ relation }})
{%- endmacro %}

{#- An incremental table built before its model gained `columns`: say how to rebuild it, instead
    of inserting without them (on_schema_change cannot help: the scope markers' columns differ). -#}
{% macro require_columns(relation, columns) -%}
    {%- if execute -%}
        {%- set have = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- set missing = columns | reject('in', have) | list -%}
        {%- if have and missing -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " was built before its model gained " ~ missing | join(', ')
                ~ ": rebuild it once with `canvass transform --full-refresh` or "
                ~ "`dbt build --full-refresh`"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Inspection ids of raw rows loaded or corrected after `relation`'s watermark, read through the
    staging view (its loaded_at is raw's, so the filter uses raw's loaded_at index). A model that
    calls it without otherwise reading staging says `-- depends_on: ref('stg_chicago__inspections')`.
    `with_published_counts`: also the inspections whose published violation counts
    (stg_chicago__violation_counts) were loaded since; the model's loaded_at must then be the later
    of the two load times, as in int_inspections__violations_counted. -#}
{% macro changed_inspection_ids(relation, with_published_counts=false) -%}
    select inspection_id
    from {{ ref('stg_chicago__inspections') }}
    where loaded_at > {{ canvass.loaded_watermark(relation) }}
    {%- if with_published_counts %}
    union
    select inspection_id
    from {{ ref('stg_chicago__violation_counts') }}
    where loaded_at > {{ canvass.loaded_watermark(relation) }}
    {%- endif %}
{%- endmacro %}

{#-
    The scope CTEs of an incremental model (rendered only when incremental):
      changed               inspections loaded or corrected in raw since `relation`'s watermark;
      scope_establishments  the establishments those inspections belong to now (in `current_rows`:
                            int_inspections__deduplicated for the models after it, the staging
                            view for the deduplication itself), or belonged to in `relation`
                            before (a correction can move an inspection between licences).
                            Deduplicated rows can also disappear without their raw row changing (a
                            new lower-id copy makes an old row a re-published copy), but such a row
                            shares its establishment with the new one, so replacing whole
                            establishments catches it;
      scope_markers         one marker per scope establishment and per changed inspection.
    `relation` must have establishment_id, inspection_id and loaded_at. Ends with a comma.
    `with_published_counts` as in changed_inspection_ids.
-#}
{% macro establishment_scope_ctes(relation, current_rows=none, with_published_counts=false) -%}
{%- set current_rows = current_rows if current_rows is not none else ref('int_inspections__deduplicated') -%}
changed as (
    {{ canvass.changed_inspection_ids(relation, with_published_counts) }}
),

scope_establishments as (
    select establishment_id
    from {{ current_rows }}
    where inspection_id in (select changed.inspection_id from changed)
    union
    select establishment_id
    from {{ relation }}
    where inspection_id in (select changed.inspection_id from changed)
),

scope_markers as (
    select
        establishment_id,
        cast(null as {{ dbt.type_bigint() }}) as inspection_id
    from scope_establishments
    where establishment_id is not null
    union all
    select
        null as establishment_id,
        inspection_id
    from changed
),
{%- endmacro %}

{#- The upstream rows an incremental run recomputes: the scope establishments' and the changed
    inspections'; `true` on a full build, so a model filters with one unconditional predicate.
    Column references are unqualified: use it in a select from one table. -#}
{% macro in_establishment_scope() -%}
    {%- if is_incremental() -%}
        {{ return(adapter.dispatch('in_establishment_scope', 'canvass')()) }}
    {%- else -%}
        {{ return('true') }}
    {%- endif -%}
{%- endmacro %}

{% macro default__in_establishment_scope() -%}
    (
        establishment_id in (select scope_establishments.establishment_id from scope_establishments)
        or inspection_id in (select changed.inspection_id from changed)
    )
{%- endmacro %}

{#- Postgres: `= any(array(...))` lets both conditions use their indexes (a BitmapOr) instead of a
    full scan of the upstream table with two hashed subplans. -#}
{% macro postgres__in_establishment_scope() -%}
    (
        establishment_id = any(array(select scope_establishments.establishment_id from scope_establishments))
        or inspection_id = any(array(select changed.inspection_id from changed))
    )
{%- endmacro %}

{#- The materialization of a replace_scope model: incremental where the engine can delete rows.
    Spark's plain Parquet tables cannot (DELETE needs Delta or Iceberg, whose jars this machine
    cannot fetch), so there the model is rebuilt whole: the same rows, at a full build's cost. -#}
{% macro replace_scope_materialization() -%}
    {{ return(adapter.dispatch('replace_scope_materialization', 'canvass')()) }}
{%- endmacro %}

{% macro postgres__replace_scope_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__replace_scope_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro default__replace_scope_materialization() -%}
    {{ canvass.no_engine_variant('replace_scope_materialization') }}
{%- endmacro %}

{#-
    Strategy `replace_scope` (config: incremental_strategy='replace_scope', unique_key=[...]).
    Deletes target rows matching any scope marker on any unique_key column, then inserts the
    non-marker rows. dest_columns are the target's, so the temp table's is_scope_marker column is
    never inserted.
-#}
{% macro get_incremental_replace_scope_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- if keys is string -%}{%- set keys = [keys] -%}{%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- for key in keys %}
    delete from {{ target }} as existing
    where existing.{{ key }} in (
        select scope.scope_{{ key }}
        from {{ source }} as scope
        where scope.is_scope_marker and scope.scope_{{ key }} is not null
    );
    {%- endfor %}
    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
    where not is_scope_marker
{%- endmacro %}

{#-
    `rows` (a CTE: the recomputed rows) followed by one marker row per row of `markers` (a CTE with
    one column per key, named as in `keys`), for strategy replace_scope. Markers carry their key in
    scope_<key> and null everywhere else; the recomputed rows carry is_scope_marker = false.
-#}
{% macro with_scope_markers(rows, markers, keys) -%}
    select
        {{ rows }}.*,
        {%- for key in keys %}
            null as scope_{{ key }},
        {%- endfor %}
        false as is_scope_marker
    from {{ rows }}
    union all
    select
        {{ rows }}.*,
        {%- for key in keys %}
            scope_markers.{{ key }} as scope_{{ key }},
        {%- endfor %}
        true as is_scope_marker
    from {{ markers }} as scope_markers
    left join {{ rows }} on false
{%- endmacro %}

{#-
    The establishment key of the shared contract: the licence as text when > 0, else a hash of the
    trimmed, lower-cased name and address; null when the row has neither licence, name nor address.
-#}
{% macro establishment_key(license_number, dba_name, address) -%}
    case
        when {{ license_number }} > 0 then cast({{ license_number }} as {{ dbt.type_string() }})
        when nullif(trim({{ dba_name }}), '') is not null or nullif(trim({{ address }}), '') is not null
            then 'unlicensed-' || {{ dbt.hash(
                "lower(coalesce(trim(" ~ dba_name ~ "), '')) || '|' || lower(coalesce(trim(" ~ address ~ "), ''))"
            ) }}
    end
{%- endmacro %}
