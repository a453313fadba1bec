-- Grain: one model version a selection proposed, with the alias it carries now: the champion is
-- the model of the latest deployment, the challenger the model of the challenger alias's latest
-- move (none when that move withdrew it).
with

versions as (
    select
        version,
        model_id,
        description,
        tags,
        card,
        registered_by,
        registered_at
    from {{ source('ml', 'model_versions') }}
),

champion as (
    select model_id
    from {{ source('ml', 'deployments') }}
    order by deployed_at desc, deployment_id desc
    limit 1
),

challenger as (
    select model_id
    from {{ source('ml', 'alias_events') }}
    where alias = 'challenger'
    order by happened_at desc, event_id desc
    limit 1
),

final as (
    select
        versions.version as model_version,
        versions.model_id,
        versions.description as version_description,
        cast(versions.tags as {{ dbt.type_string() }}) as version_tags,
        versions.card as model_card,
        versions.registered_by,
        versions.registered_at,
        case
            when champion.model_id is not null then 'champion'
            when challenger.model_id is not null then 'challenger'
            else ''
        end as model_alias
    from versions
    left join champion
        on versions.model_id = champion.model_id
    left join challenger
        on versions.model_id = challenger.model_id
)

select * from final
