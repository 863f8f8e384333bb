{#- One row per project, dimension set and UTC date that has a daily value: the one-day
    snapshot whose window overlaps the date the most (ties: the later fetch, then the larger
    snapshot_id), kept only when its day_coverage reaches var('clarity_min_day_coverage').
    Multi-day windows never give a daily value; a date below the threshold gets no row. -#}
with

candidates as (

    select
        snapshot_id,
        project,
        dimensions,
        activity_date,
        overlap_seconds,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at
    from {{ ref('int_snapshot_days_overlapped') }}
    where num_of_days = 1

),

ranked as (

    select
        snapshot_id,
        project,
        dimensions,
        activity_date,
        overlap_seconds,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at,
        count(*) over (
            partition by project, dimensions, activity_date
        ) as candidate_snapshots,
        row_number() over (
            partition by project, dimensions, activity_date
            order by overlap_seconds desc, fetched_at desc, snapshot_id desc
        ) as row_num
    from candidates

),

final as (

    select
        project,
        dimensions,
        activity_date,
        snapshot_id,
        day_coverage,
        overlap_seconds,
        candidate_snapshots,
        fetched_at,
        window_start_at,
        window_end_at
    from ranked
    where
        row_num = 1
        and day_coverage >= {{ var('clarity_min_day_coverage', 0.9) }}

)

select * from final
