{%- set max_seconds = var('clarity_nested_max_seconds', 300) -%}

with

snapshots as (

    select distinct
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at,
        is_possibly_truncated
    from {{ ref('stg_clarity__snapshots') }}

),

candidates as (

    select
        longer.snapshot_id,
        shorter.snapshot_id as subtracted_snapshot_id,
        longer.project,
        longer.dimensions,
        longer.num_of_days,
        longer.fetched_at,
        longer.window_start_at as slice_start_at,
        shorter.window_start_at as slice_end_at,
        abs({{ dbt.datediff('shorter.fetched_at', 'longer.fetched_at', 'second') }})
            as seconds_apart
    from snapshots as longer
    inner join snapshots as shorter
        on
            longer.project = shorter.project
            and longer.dimensions = shorter.dimensions
            and longer.num_of_days = shorter.num_of_days + 1
    where
        longer.num_of_days in (2, 3)
        and not longer.is_possibly_truncated
        and not shorter.is_possibly_truncated
        and abs({{ dbt.datediff('shorter.fetched_at', 'longer.fetched_at', 'second') }})
        <= {{ max_seconds }}

),

ranked as (

    select
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        slice_start_at,
        slice_end_at,
        seconds_apart,
        row_number() over (
            partition by snapshot_id
            order by seconds_apart asc, subtracted_snapshot_id asc
        ) as row_num
    from candidates

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['snapshot_id', 'subtracted_snapshot_id']) }} as slice_id,
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,

        -- the slice: [start of the longer window, start of the shorter one)
        num_of_days,
        seconds_apart,
        slice_start_at,
        slice_end_at,
        fetched_at

    from ranked
    where row_num = 1

)

select * from final
