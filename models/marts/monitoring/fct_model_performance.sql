-- Grain: one cut (top k% or the daily capacity) of one scoring run's ranking: how many of the
-- ranked establishments are inspected yet, how many failed, the realised precision beside what
-- cross-validation promised and what the calibrated probabilities let us expect (before any
-- label: the whole cut; once labels arrive: its inspected part), and the gaps between them.
with

performance as (
    select
        as_of_date,
        model_id,
        cut,
        establishments_ranked,
        establishments_inspected,
        establishments_failed,
        realised_precision,
        base_rate,
        promised_precision,
        expected_precision,
        expected_precision_inspected,
        estimate_status,
        labels_through,
        monitored_at
    from {{ ref('stg_monitoring__performance') }}
),

final as (
    select
        as_of_date,
        model_id,
        cut,
        establishments_ranked,
        establishments_inspected,
        establishments_failed,
        realised_precision,
        base_rate,
        promised_precision,
        realised_precision - promised_precision as precision_gap,
        expected_precision,
        expected_precision_inspected,
        realised_precision - expected_precision_inspected as estimate_gap,
        estimate_status,
        case
            when establishments_ranked = 0 then 0.0
            else cast(establishments_inspected as double precision) / establishments_ranked
        end as share_inspected,
        labels_through,
        monitored_at
    from performance
)

select * from final
