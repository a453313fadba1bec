-- Grain: one deployed model's calibration: how its scores become probabilities (ml/calibration.py).
with

source as (
    select
        model_id,
        method,
        fitted_on_model_id,
        fitted_rows,
        fitted_positive_rate,
        ece_before,
        ece_after,
        calibrated_at
    from {{ source('ml', 'calibrations') }}
),

renamed as (
    select
        model_id,
        method as calibration_method,
        fitted_on_model_id as calibrated_on_model_id,
        fitted_rows as calibration_rows,
        fitted_positive_rate as calibration_positive_rate,
        ece_before,
        ece_after,
        calibrated_at
    from source
)

select * from renamed
