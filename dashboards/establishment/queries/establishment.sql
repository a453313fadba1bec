-- Who the page is about, by establishment id or license (one of the two is null), with its place
-- in the current ranking when the current run scored it (marts.dim_establishments,
-- marts.fct_rankings).
select
    establishments.establishment_id,
    establishments.license_number,
    establishments.establishment_name,
    establishments.facility_type,
    establishments.facility_group,
    establishments.risk_level,
    establishments.address,
    establishments.zip,
    establishments.last_inspection_date,
    establishments.last_result,
    establishments.inspection_count,
    rankings.model_id,
    rankings.as_of_date,
    rankings.score_rank,
    rankings.score,
    rankings.probability
from marts.dim_establishments as establishments
left join marts.fct_rankings as rankings
    on
        establishments.establishment_id = rankings.establishment_id
        and rankings.is_current_run
where
    establishments.establishment_id = %(establishment_id)s
    or establishments.license_number = %(license_number)s::bigint
order by establishments.establishment_id = %(establishment_id)s desc, establishments.establishment_id
limit 1
