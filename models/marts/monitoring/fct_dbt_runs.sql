-- Grain: one dbt invocation of the flows: its tests (passed, warned, failed), its models that
-- errored, and for `dbt source freshness` how many sources were fresh, late (warn) or stale
-- (error). The data-quality trend of dbt over time.
with

invocations as (
    select
        invocation_id,
        dbt_command,
        started_at,
        is_success,
        elapsed_seconds
    from {{ ref('stg_meta__dbt_invocations') }}
),

results as (
    select
        invocation_id,
        resource_type,
        node_status
    from {{ ref('stg_meta__dbt_node_results') }}
),

counted as (
    select
        invocation_id,
        count(*) filter (where resource_type = 'test' and node_status = 'pass') as tests_passed,
        count(*) filter (where resource_type = 'test' and node_status = 'warn') as tests_warned,
        count(*) filter (
            where resource_type = 'test' and node_status in ('fail', 'error')
        ) as tests_failed,
        count(*) filter (
            where resource_type in ('model', 'seed', 'snapshot') and node_status = 'error'
        ) as models_errored,
        count(*) filter (where resource_type = 'source' and node_status = 'pass') as sources_fresh,
        count(*) filter (where resource_type = 'source' and node_status = 'warn') as sources_late,
        count(*) filter (
            where resource_type = 'source' and node_status in ('error', 'runtime error')
        ) as sources_stale
    from results
    group by invocation_id
),

final as (
    select
        invocations.invocation_id,
        invocations.dbt_command,
        invocations.started_at,
        invocations.is_success,
        invocations.elapsed_seconds,
        invocations.dbt_command like 'source freshness%' as is_freshness_check,
        coalesce(
            invocations.dbt_command like 'build%' and invocations.dbt_command not like '%--select%',
            false
        ) as is_whole_build,
        coalesce(counted.tests_passed, 0) as tests_passed,
        coalesce(counted.tests_warned, 0) as tests_warned,
        coalesce(counted.tests_failed, 0) as tests_failed,
        coalesce(counted.models_errored, 0) as models_errored,
        coalesce(counted.sources_fresh, 0) as sources_fresh,
        coalesce(counted.sources_late, 0) as sources_late,
        coalesce(counted.sources_stale, 0) as sources_stale
    from invocations
    left join counted
        on invocations.invocation_id = counted.invocation_id
)

select * from final
