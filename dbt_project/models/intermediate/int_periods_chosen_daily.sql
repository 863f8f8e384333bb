with

candidates as (

    select
        window_id,
        window_kind,
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,
        activity_date,
        overlap_seconds,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at,
        row_number() over (
            partition by window_id
            order by overlap_seconds desc, activity_date asc
        ) as date_rank
    from {{ ref('int_window_days_overlapped') }}
    where
        (window_kind = 'snapshot' and num_of_days = 1)
        or (window_kind = 'nested_difference' and is_nested)
        or window_kind in ('solved_exact', 'solved_estimate')

),

-- each period gives the value of the one date it overlaps most
served as (

    select
        window_id,
        case window_kind
            when 'snapshot' then 'one_day_window'
            else window_kind
        end as value_source,
        snapshot_id,
        subtracted_snapshot_id,
        project,
        dimensions,
        activity_date,
        overlap_seconds,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at
    from candidates
    where date_rank = 1

),

ranked as (

    select
        window_id,
        value_source,
        snapshot_id,
        subtracted_snapshot_id,
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
        ) as candidate_periods,
        row_number() over (
            partition by project, dimensions, activity_date
            order by
                -- a solved period only for a date no window or nested slice gives
                case
                    when value_source in ('solved_exact', 'solved_estimate') then 1 else 0
                end asc,
                overlap_seconds desc,
                case when value_source = 'one_day_window' then 0 else 1 end asc,
                fetched_at desc,
                window_id desc
        ) as row_num
    from served
    -- below the coverage a period gives no value, and leaves the date to the next candidate
    where day_coverage >= {{ var('clarity_min_day_coverage') }}

),

final as (

    select
        project,
        dimensions,
        activity_date,
        window_id as period_id,
        value_source,
        snapshot_id,
        subtracted_snapshot_id,
        day_coverage,
        overlap_seconds,
        candidate_periods,
        fetched_at,
        window_start_at,
        window_end_at
    from ranked
    where row_num = 1

)

select * from final
