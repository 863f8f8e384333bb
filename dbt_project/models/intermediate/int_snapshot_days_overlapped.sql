{#- One row per snapshot and UTC date its window overlaps, with the overlap: the raw material
    of the daily snapshot choice and of the collection report. A window is at most 72 hours
    long, so it overlaps at most four dates (day offsets 0 to 3 from its start date). -#}
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
        {{ clarity_utc_timestamp('window_start_at') }} as window_start_utc,
        {{ clarity_utc_timestamp('window_end_at') }} as window_end_utc,
        row_number() over (
            partition by snapshot_id
            order by dlt_load_id, ingest_run_id
        ) as row_num
    from {{ ref('stg_clarity__snapshots') }}

),

distinct_snapshots as (

    -- an exact duplicate (the same response loaded twice) counts once
    select
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at,
        window_start_utc,
        window_end_utc
    from snapshots
    where row_num = 1

),

day_offsets as (

    select 0 as day_offset
    union all
    select 1 as day_offset
    union all
    select 2 as day_offset
    union all
    select 3 as day_offset

),

snapshot_days as (

    select
        distinct_snapshots.snapshot_id,
        distinct_snapshots.project,
        distinct_snapshots.dimensions,
        distinct_snapshots.num_of_days,
        distinct_snapshots.fetched_at,
        distinct_snapshots.window_start_at,
        distinct_snapshots.window_end_at,
        distinct_snapshots.window_start_utc,
        distinct_snapshots.window_end_utc,
        cast(
            {{ dbt.dateadd(
                'day',
                'day_offsets.day_offset',
                'cast(distinct_snapshots.window_start_utc as date)'
            ) }} as date
        ) as activity_date
    from distinct_snapshots
    cross join day_offsets

),

bounded as (

    select
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at,
        activity_date,
        greatest(
            window_start_utc, cast(activity_date as {{ dbt.type_timestamp() }})
        ) as overlap_start_utc,
        least(
            window_end_utc,
            {{ dbt.dateadd('day', 1, 'cast(activity_date as ' ~ dbt.type_timestamp() ~ ')') }}
        ) as overlap_end_utc
    from snapshot_days

),

measured as (

    select
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at,
        activity_date,
        {{ dbt.datediff('overlap_start_utc', 'overlap_end_utc', 'second') }}
            as overlap_seconds
    from bounded
    where overlap_end_utc > overlap_start_utc

),

final as (

    select
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        activity_date,
        overlap_seconds,
        cast(overlap_seconds as {{ clarity_type_double() }}) / 86400 as day_coverage,
        fetched_at,
        window_start_at,
        window_end_at
    from measured

)

select * from final
