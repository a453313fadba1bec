-- One row per establishment ranked in the run (model_id, as_of_date), rank 1 first, with what the
-- table, the filters and the map need (marts.fct_rankings).
select
    rankings.score_rank as rank,
    rankings.score,
    rankings.establishment_id,
    rankings.license_number,
    rankings.establishment_name as name,
    rankings.address,
    rankings.zip,
    rankings.facility_type,
    rankings.facility_group,
    rankings.risk_level,
    rankings.latitude,
    rankings.longitude,
    rankings.last_visit_date,
    rankings.last_result
from marts.fct_rankings as rankings
where
    rankings.model_id = %(model_id)s
    and rankings.as_of_date = %(as_of_date)s
order by rankings.score_rank, rankings.establishment_id
