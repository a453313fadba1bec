-- Expected performance before labels (the monitoring issue, item 5): the deployed model's
-- calibration (ml/calibration.py), each score's calibrated probability, and per cut of a scoring
-- run the precision those probabilities let us expect, beside the realised value as labels arrive.

-- One calibration per deployed model: the score-to-probability curve, the out-of-time rows it was
-- fitted on (the group's newest cross-validation window) and its calibration error before/after.
create table if not exists ml.calibrations (
    model_id text primary key references ml.models (model_id),
    method text not null check (method in ('isotonic', 'sigmoid')),
    fitted_on_model_id text not null references ml.models (model_id),
    fitted_rows integer not null,
    fitted_positive_rate double precision not null,
    curve_scores double precision [] not null,
    curve_probabilities double precision [] not null,
    ece_before double precision,
    ece_after double precision,
    brier_before double precision,
    brier_after double precision,
    calibrated_at timestamptz not null default now()
);

-- The calibrated probability of each score (null for rankings scored before a calibration existed).
alter table ml.scores add column if not exists probability double precision;

-- "Expected" now means the calibrated estimate; what cross-validation promised is "promised".
alter table monitoring.performance rename column expected_precision to promised_precision;
-- CBPE: the mean calibrated probability of the whole cut (known at scoring time) and of the part
-- of it inspected so far (what the realised precision is compared with), the gap's status, and
-- how many labelled inspections the run had seen (the monitor skips runs with nothing new).
alter table monitoring.performance add column expected_precision double precision;
alter table monitoring.performance add column expected_precision_inspected double precision;
alter table monitoring.performance add column estimate_status text not null default 'unknown'
    check (estimate_status in ('ok', 'warn', 'alert', 'unknown'));
alter table monitoring.performance add column labels_seen integer;

alter table monitoring.retraining_decisions add column estimate_gap double precision;
