with

windows as (

    select
        snapshot_id,
        project,
        num_of_days,
        sessions,
        bot_sessions,
        distinct_users,
        page_views,
        pages_per_session,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds,
        {%- for signal in clarity_signals() %}
        {{ signal.key }}_base_sessions,
        {{ signal.key }}_sessions,
        {{ signal.key }}_rate,
        {%- endfor %}
        fetched_at,
        window_start_at,
        window_end_at
    from {{ ref('int_site_windows_measured') }}

),

daily_choice as (

    -- the date a one-day window gives the daily value of, if it was chosen (a window serves at
    -- most one date)
    select
        snapshot_id,
        activity_date
    from {{ ref('int_periods_chosen_daily') }}
    where dimensions = '' and value_source = 'one_day_window'

),

final as (

    select
        -- ids
        windows.snapshot_id,
        windows.project,
        windows.num_of_days,
        daily_choice.activity_date as chosen_for_date,

        -- traffic and engagement (an empty window counts as zero sessions)
        windows.sessions,
        windows.bot_sessions,
        windows.distinct_users,
        windows.page_views,
        windows.pages_per_session,
        windows.avg_scroll_depth,
        windows.avg_total_time_seconds,
        windows.avg_active_time_seconds,

        -- frustration signals
        {%- for signal in clarity_signals() %}
        windows.{{ signal.key }}_base_sessions,
        windows.{{ signal.key }}_sessions,
        windows.{{ signal.key }}_rate,
        {%- endfor %}

        -- window (UTC)
        windows.fetched_at,
        windows.window_start_at,
        windows.window_end_at

    from windows
    left join daily_choice
        on windows.snapshot_id = daily_choice.snapshot_id

)

select * from final
