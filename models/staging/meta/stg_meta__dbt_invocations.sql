-- Grain: one dbt command run by the flows.
with

source as (
    select
        invocation_id,
        command,
        flow_run_id,
        started_at,
        finished_at,
        success,
        elapsed_seconds
    from {{ source('meta', 'dbt_invocations') }}
),

renamed as (
    select
        invocation_id,
        command as dbt_command,
        flow_run_id,
        started_at,
        finished_at,
        success as is_success,
        elapsed_seconds
    from source
)

select * from renamed
