{#-
    Events near a point in the days before it: the one definition of the complaint and burglary
    features, shared by training (int_inspections__nearby_events) and scoring (ml_scoring_cohort).

    `points` has point_key, latitude, longitude and as_of_date; `events` has event_kind
    ('complaint' or 'burglary'), event_date, latitude, longitude and their grid cell (cell_lat,
    cell_lon: macro nearby_cell; int_area__events keeps them indexed with the date). Returns one row per point with
    a location: point_key and, for each kind, radius (var nearby_radii_m) and window (var
    nearby_windows_days), the number of events within the radius (great-circle distance, with a
    millimetre of tolerance so a point exactly on the radius counts) dated in the window's days
    before as_of_date: as_of_date - days <= event_date < as_of_date. An event on the day itself
    never counts (it may follow the inspection). A count is null (unknown, not none) when its
    window reaches outside the dates the dataset covers (its first to its last event: the City's
    2011-2014 files, or a warehouse that never loaded the dataset).

    Spatial work in plain SQL: the embedded Postgres has no PostGIS, cube or earthdistance. Points
    and events are put on a grid of cells at least as large as the largest radius (0.0091 degrees
    of latitude, 1.01 km; 0.0125 degrees of longitude, at least 1.01 km anywhere south of 43.9 N),
    so every event within the radius lies in the point's cell or one of its eight neighbours: a
    hash join on the cell, then the exact distance on those few candidates. A bounding box would
    need a range join (an index on two columns that Postgres can only half use); the grid keeps it
    an equality join (on the cell and a period of days, macro nearby_period) that stays linear in
    points x events per cell and period.
-#}
{% macro nearby_cell_degrees() -%}
    {{ return({'lat': 0.0091, 'lon': 0.0125}) }}
{%- endmacro %}

{#- Time is cut into periods too (of the shortest window's length), so the join on cells is also
    an equality on the period: a window of up to 90 days spans at most four 30-day periods, and the
    candidates of a point are the events of 9 cells x 4 periods, not of its cells' whole history
    (on the real rows the cells alone let 126 million pairs through the date filter). -#}
{% macro nearby_period_days() -%}
    {{ return(var('nearby_windows_days') | min) }}
{%- endmacro %}

{% macro nearby_period(date_expression) -%}
    cast(floor({{ canvass.days_between(date_expression, "date '1970-01-01'") }} / {{ canvass.nearby_period_days() }}.0) as integer)
{%- endmacro %}

{#- The grid cell of a coordinate (`axis` lat or lon): the same for points and events. -#}
{% macro nearby_cell(column, axis) -%}
    cast(floor({{ column }} / {{ canvass.nearby_cell_degrees()[axis] }}) as integer)
{%- endmacro %}

{% macro nearby_event_counts(points, events) -%}
    {%- set radii = var('nearby_radii_m') -%}
    {%- set windows = var('nearby_windows_days') -%}
    {%- set longest = windows | max -%}
    {%- set period_days = canvass.nearby_period_days() -%}
    {%- if radii | max > 1000 -%}
        {{ exceptions.raise_compiler_error("nearby_radii_m: the grid's cells hold radii up to 1000 m") }}
    {%- endif -%}
    with
    located_points as (
        select
            point_key,
            latitude,
            longitude,
            as_of_date,
            {{ canvass.nearby_cell('latitude', 'lat') }} as cell_lat,
            {{ canvass.nearby_cell('longitude', 'lon') }} as cell_lon,
            {{ canvass.nearby_period('as_of_date - ' ~ longest) }} as first_period,
            {{ canvass.nearby_period('as_of_date - 1') }} as last_period
        from {{ points }}
        where latitude is not null and longitude is not null
    ),

    located_events as {{ canvass.materialized() }} (
        select
            event_kind,
            event_date,
            latitude,
            longitude,
            cell_lat,
            cell_lon,
            {{ canvass.nearby_period('event_date') }} as period
        from {{ events }}
        where cell_lat is not null
    ),

    neighbour_cells as {{ canvass.materialized() }} (
        select
            located_points.point_key,
            located_points.latitude,
            located_points.longitude,
            located_points.as_of_date,
            located_points.cell_lat + d_lat.offset_value as cell_lat,
            located_points.cell_lon + d_lon.offset_value as cell_lon,
            located_points.first_period + d_period.offset_value as period
        from located_points
        cross join (select -1 as offset_value union all select 0 union all select 1) as d_lat
        cross join (select -1 as offset_value union all select 0 union all select 1) as d_lon
        cross join (
            {%- for offset in range((longest // period_days) + 2) %}
            select {{ offset }} as offset_value{% if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as d_period
        where located_points.first_period + d_period.offset_value <= located_points.last_period
    ),

    candidates as (
        select
            neighbour_cells.point_key,
            located_events.event_kind,
            {{ canvass.days_between('neighbour_cells.as_of_date', 'located_events.event_date') }} as days_before,
            {{ canvass.great_circle_m(
                'neighbour_cells.latitude', 'neighbour_cells.longitude',
                'located_events.latitude', 'located_events.longitude'
            ) }} as distance_m
        from neighbour_cells
        inner join located_events
            on
                neighbour_cells.cell_lat = located_events.cell_lat
                and neighbour_cells.cell_lon = located_events.cell_lon
                and neighbour_cells.period = located_events.period
                and located_events.event_date < neighbour_cells.as_of_date
                and located_events.event_date >= neighbour_cells.as_of_date - {{ longest }}
    ),

    counted as (
        select
            point_key,
            {%- for kind, plural in [('complaint', 'complaints'), ('burglary', 'burglaries')] %}
            {%- set kind_loop = loop %}
            {%- for radius in radii %}
            {%- set radius_loop = loop %}
            {%- for days in windows %}
            count(
                case
                    when
                        event_kind = '{{ kind }}'
                        and distance_m <= {{ radius }} + 0.001
                        and days_before <= {{ days }}
                        then 1
                end
            ) as {{ plural }}_{{ radius }}m_{{ days }}d
            {%- if not (kind_loop.last and radius_loop.last and loop.last) %},{% endif %}
            {%- endfor %}
            {%- endfor %}
            {%- endfor %}
        from candidates
        where distance_m <= {{ radii | max }} + 0.001
        group by point_key
    ),

    coverage as (
        select
            event_kind,
            min(event_date) as first_date,
            max(event_date) as last_date
        from located_events
        group by event_kind
    )

    select
        located_points.point_key,
        {%- for kind, plural in [('complaint', 'complaints'), ('burglary', 'burglaries')] %}
        {%- set kind_loop = loop %}
        {%- for radius in radii %}
        {%- set radius_loop = loop %}
        {%- for days in windows %}
        case
            when
                located_points.as_of_date - {{ days }} >= {{ kind }}_coverage.first_date
                and located_points.as_of_date - 1 <= {{ kind }}_coverage.last_date
                then coalesce(counted.{{ plural }}_{{ radius }}m_{{ days }}d, 0)
        end as {{ plural }}_{{ radius }}m_{{ days }}d
        {%- if not (kind_loop.last and radius_loop.last and loop.last) %},{% endif %}
        {%- endfor %}
        {%- endfor %}
        {%- endfor %}
    from located_points
    left join counted
        on located_points.point_key = counted.point_key
    left join coverage as complaint_coverage
        on complaint_coverage.event_kind = 'complaint'
    left join coverage as burglary_coverage
        on burglary_coverage.event_kind = 'burglary'
{%- endmacro %}

{#- Great-circle distance in metres between two WGS84 points (haversine, mean Earth radius). -#}
{% macro great_circle_m(lat1, lon1, lat2, lon2) -%}
    2 * 6371008.8 * asin(least(1.0, sqrt(
        power(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }}))
        * power(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
    )))
{%- endmacro %}

{#-
    The weather of the days before a point: the mean maximum temperature and the mean
    precipitation of the var weather_window_days (3) days before as_of_date (the day itself
    excluded: its weather is not all known at an inspection's time). `points` has point_key and
    as_of_date; returns point_key, max_temperature_3d_c, precipitation_3d_mm (null when no day of
    the window was observed).
-#}
{% macro weather_before(points) -%}
    select
        points.point_key,
        avg(weather.max_temperature_c) as max_temperature_3d_c,
        avg(weather.precipitation_mm) as precipitation_3d_mm
    from {{ points }} as points
    left join {{ ref('stg_noaa__weather_daily') }} as weather
        on
            weather.weather_date < points.as_of_date
            and weather.weather_date >= points.as_of_date - {{ var('weather_window_days') }}
    group by points.point_key
{%- endmacro %}

{#- The nearby feature columns nearby_event_counts returns, in its order. -#}
{% macro nearby_feature_names() -%}
    {%- set names = [] -%}
    {%- for plural in ['complaints', 'burglaries'] -%}
        {%- for radius in var('nearby_radii_m') -%}
            {%- for days in var('nearby_windows_days') -%}
                {%- do names.append(plural ~ '_' ~ radius ~ 'm_' ~ days ~ 'd') -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- The other sources' feature columns, from a nearby_event_counts relation and a weather_before
    one (both by point): shared by ml_features and ml_scoring_cohort. An establishment without
    coordinates has no nearby counts (null: unknown, not none). -#}
{% macro source_feature_columns(nearby, weather) -%}
    {%- for name in canvass.nearby_feature_names() %}
    {{ nearby }}.{{ name }},
    {%- endfor %}
    {{ weather }}.max_temperature_3d_c,
    {{ weather }}.precipitation_3d_mm
{%- endmacro %}

{#- `as {{ canvass.materialized() }} (...)`: a CTE Postgres computes once. Postgres inlines a CTE
    read once, and on a small cohort it misjudged the nearby counts as one row and ran them once
    per establishment (15 s instead of 0.1 s on the demo). Other engines: an ordinary CTE. -#}
{% macro materialized() -%}
    {{ return(adapter.dispatch('materialized', 'canvass')()) }}
{%- endmacro %}

{% macro postgres__materialized() -%}
    materialized
{%- endmacro %}

{% macro default__materialized() -%}
{%- endmacro %}

{#- The whole days from `earlier` to `later` (two dates), as an integer: Postgres subtracts dates,
    Spark's date subtraction gives an interval. -#}
{% macro days_between(later, earlier) -%}
    {{ return(adapter.dispatch('days_between', 'canvass')(later, earlier)) }}
{%- endmacro %}

{% macro postgres__days_between(later, earlier) -%}
    ({{ later }} - {{ earlier }})
{%- endmacro %}

{% macro spark__days_between(later, earlier) -%}
    datediff({{ later }}, {{ earlier }})
{%- endmacro %}

{% macro default__days_between(later, earlier) -%}
    {{ canvass.no_engine_variant('days_between') }}
{%- endmacro %}
