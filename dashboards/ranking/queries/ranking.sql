-- One row per establishment scored in the run (model_id, as_of_date), rank 1 first, with what the
-- table, the filters and the map need from marts.dim_establishments.
select
    scores.rank_abs as rank,
    scores.score,
    scores.establishment_id,
    scores.license_number,
    coalesce(establishments.dba_name, establishments.aka_name) as name,
    establishments.address,
    establishments.zip,
    establishments.facility_type,
    establishments.facility_group,
    establishments.risk_level,
    establishments.latitude,
    establishments.longitude,
    -- the latest visit of any result, so the date and last_result describe the same record
    establishments.last_seen_date as last_visit_date,
    establishments.last_result
from ml.scores as scores
left join marts.dim_establishments as establishments
    on scores.establishment_id = establishments.establishment_id
where
    scores.model_id = %(model_id)s
    and scores.as_of_date = %(as_of_date)s
order by scores.rank_abs, scores.establishment_id
