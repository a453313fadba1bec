-- Grain: one day of one weather station (raw.weather_daily, NOAA GHCN-Daily), in SI units: GHCN
-- writes temperatures in tenths of a degree C and precipitation in tenths of a mm.
select
    date as weather_date,
    station,
    cast(tmax as {{ dbt.type_float() }}) / 10 as max_temperature_c,
    cast(tmin as {{ dbt.type_float() }}) / 10 as min_temperature_c,
    cast(prcp as {{ dbt.type_float() }}) / 10 as precipitation_mm,
    cast(snow as {{ dbt.type_float() }}) as snowfall_mm,
    cast(awnd as {{ dbt.type_float() }}) / 10 as wind_speed_m_s,
    batch_id,
    loaded_at
from {{ source('noaa', 'weather_daily') }}
