with

snapshots as (

    select
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at,
        row_number() over (
            partition by snapshot_id
            order by dlt_load_id, ingest_run_id
        ) as row_num
    from {{ ref('stg_clarity__snapshots') }}

),

slice_nesting as (

    select
        slice_id,
        max(case when is_negative then 1 else 0 end) = 0 as is_nested
    from {{ ref('int_nested_slice_metrics') }}
    group by slice_id

),

windows as (

    -- an exact duplicate (the same response loaded twice) counts once
    select
        snapshot_id as window_id,
        'snapshot' as window_kind,
        snapshot_id,
        cast(null as {{ dbt.type_string() }}) as subtracted_snapshot_id,
        project,
        dimensions,
        num_of_days,
        true as is_nested,
        fetched_at,
        window_start_at,
        window_end_at
    from snapshots
    where row_num = 1

    union all

    select
        slices.slice_id as window_id,
        'nested_difference' as window_kind,
        slices.snapshot_id,
        slices.subtracted_snapshot_id,
        slices.project,
        slices.dimensions,
        1 as num_of_days,
        coalesce(slice_nesting.is_nested, true) as is_nested,
        slices.fetched_at,
        slices.slice_start_at as window_start_at,
        slices.slice_end_at as window_end_at
    from {{ ref('int_nested_windows_paired') }} as slices
    left join slice_nesting
        on slices.slice_id = slice_nesting.slice_id

    union all

    -- the window solver's periods (docs block clarity_window_solver)
    select
        period_id as window_id,
        value_source as window_kind,
        cast(null as {{ dbt.type_string() }}) as snapshot_id,
        cast(null as {{ dbt.type_string() }}) as subtracted_snapshot_id,
        project,
        dimensions,
        1 as num_of_days,
        true as is_nested,
        period_end_at as fetched_at,
        period_start_at as window_start_at,
        period_end_at as window_end_at
    from {{ ref('int_solved_periods') }}

),

zoned as (

    select
        windows.window_id,
        windows.window_kind,
        windows.snapshot_id,
        windows.subtracted_snapshot_id,
        windows.project,
        windows.dimensions,
        windows.num_of_days,
        windows.is_nested,
        windows.fetched_at,
        windows.window_start_at,
        windows.window_end_at,
        zones.timezone,
        {{ clarity_utc_timestamp('windows.window_start_at') }} as window_start_utc,
        {{ clarity_utc_timestamp('windows.window_end_at') }} as window_end_utc,
        cast(
            {{ clarity_local_timestamp('windows.window_start_at', 'zones.timezone') }} as date
        ) as local_start_date
    from windows
    inner join {{ ref('int_project_timezones') }} as zones
        on windows.project = zones.project

),

-- a window is at most 72 hours long: it overlaps at most five dates of its zone (four, or five
-- across a daylight-saving change), day offsets 0 to 4 from its start date
day_offsets as (

    {%- for offset in range(5) %}
    {% if not loop.first %}union all
    {% endif %}select {{ offset }} as day_offset
    {%- endfor %}

),

window_days as (

    select
        zoned.window_id,
        zoned.window_kind,
        zoned.snapshot_id,
        zoned.subtracted_snapshot_id,
        zoned.project,
        zoned.dimensions,
        zoned.num_of_days,
        zoned.is_nested,
        zoned.fetched_at,
        zoned.window_start_at,
        zoned.window_end_at,
        zoned.timezone,
        zoned.window_start_utc,
        zoned.window_end_utc,
        cast(
            {{ dbt.dateadd('day', 'day_offsets.day_offset', 'zoned.local_start_date') }} as date
        ) as activity_date
    from zoned
    cross join day_offsets

),

bounded as (

    select
        window_id,
        window_kind,
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,
        num_of_days,
        is_nested,
        fetched_at,
        window_start_at,
        window_end_at,
        timezone,
        activity_date,
        window_start_utc,
        window_end_utc,
        {{ clarity_local_day_start_utc('activity_date', 'timezone') }} as day_start_utc,
        {{ clarity_local_day_start_utc(
            'cast(' ~ dbt.dateadd('day', 1, 'activity_date') ~ ' as date)', 'timezone'
        ) }} as day_end_utc
    from window_days

),

measured as (

    select
        window_id,
        window_kind,
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,
        num_of_days,
        is_nested,
        fetched_at,
        window_start_at,
        window_end_at,
        timezone,
        activity_date,
        {{ dbt.datediff(
            'greatest(window_start_utc, day_start_utc)',
            'least(window_end_utc, day_end_utc)',
            'second'
        ) }} as overlap_seconds,
        {{ dbt.datediff(
            'day_start_utc',
            'day_end_utc',
            'second'
        ) }} as day_seconds
    from bounded
    where least(window_end_utc, day_end_utc) > greatest(window_start_utc, day_start_utc)

),

final as (

    select
        -- ids
        window_id,
        window_kind,
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,
        num_of_days,
        is_nested,

        -- the date (of the project's time zone) and how much of it the window covers
        activity_date,
        timezone,
        overlap_seconds,
        day_seconds,
        cast(overlap_seconds as {{ clarity_type_double() }}) / day_seconds as day_coverage,

        -- window (UTC)
        fetched_at,
        window_start_at,
        window_end_at

    from measured

)

select * from final
