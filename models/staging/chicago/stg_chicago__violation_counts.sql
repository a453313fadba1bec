-- Grain: one inspection whose violation counts the City published without the violation text
-- (raw.violation_counts, from the City's 2014 evaluation data). Used where the text is missing
-- (int_inspections__violations_counted).
select
    inspection_id,
    critical_count,
    serious_count,
    minor_count,
    batch_id,
    loaded_at
from {{ source('chicago', 'violation_counts') }}
