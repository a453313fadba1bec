-- dbt over time (marts.fct_dbt_runs): each whole-warehouse build's test warnings and failures,
-- and each source freshness check's late and stale sources.
select
    runs.started_at,
    runs.dbt_command,
    runs.is_freshness_check,
    runs.tests_passed,
    runs.tests_warned,
    runs.tests_failed + runs.models_errored as failed,
    runs.sources_fresh,
    runs.sources_late,
    runs.sources_stale
from marts.fct_dbt_runs as runs
where runs.is_freshness_check or runs.is_whole_build
order by runs.started_at
