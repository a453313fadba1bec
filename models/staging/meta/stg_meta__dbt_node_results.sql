-- Grain: one node (model, seed, test, or a source's freshness) of one dbt invocation.
with

source as (
    select
        invocation_id,
        unique_id,
        resource_type,
        status,
        failures,
        execution_seconds,
        message
    from {{ source('meta', 'dbt_node_results') }}
),

renamed as (
    select
        invocation_id,
        unique_id as node_id,
        resource_type,
        status as node_status,
        failures as failing_rows,
        execution_seconds,
        message as node_message
    from source
)

select * from renamed
