{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

with

site as (

    select
        project,
        activity_date,
        snapshot_id,
        subtracted_snapshot_id,
        value_source,
        day_coverage,
        sessions,
        bot_sessions,
        distinct_users,
        page_views,
        pages_per_session,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds,
        sessions_error,
        fetched_at,
        window_start_at,
        window_end_at
    -- one row per chosen site period: the site is the one scope of a no-dimension snapshot
    from {{ ref('int_daily_metrics_scoped') }}
    where
        scope = 'site'
        and {{ clarity_lookback_filter('activity_date') }}

),

signals as (

    select
        project,
        activity_date,
        signal,  -- noqa: RF04
        base_sessions,
        sessions_with_signal
    from {{ ref('fct_signal_daily') }}
    where
        scope = 'site'
        and {{ clarity_lookback_filter('activity_date') }}

),

weights as (

    {{ clarity_score_weights() }}

),

site_signals as (

    select
        signals.project,
        signals.activity_date,
        {{ clarity_pivot_signals(relation='signals') }},
        {{ clarity_score(
            clarity_safe_divide('signals.sessions_with_signal', 'signals.base_sessions'),
            signal_column='signals.signal',
        ) }} as frustration_score
    from signals
    cross join weights
    group by
        signals.project,
        signals.activity_date

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['site.project', 'site.activity_date']) }} as site_day_id,
        site.project,
        site.activity_date,
        site.snapshot_id,
        site.subtracted_snapshot_id,
        site.value_source,
        site.day_coverage,

        -- traffic and engagement (an empty window counts as zero sessions; what a nested
        -- slice cannot give is null)
        coalesce(site.sessions, 0) as sessions,
        site.sessions_error,
        coalesce(site.bot_sessions, 0) as bot_sessions,
        case
            when site.value_source = 'one_day_window' then coalesce(site.distinct_users, 0)
        end as distinct_users,
        coalesce(site.page_views, 0) as page_views,
        site.pages_per_session,
        site.avg_scroll_depth,
        site.avg_total_time_seconds,
        site.avg_active_time_seconds,

        -- frustration signals
        {{ clarity_signal_columns(['base_sessions', 'sessions', 'rate'], 'site_signals.')
            | join(',\n        ') }},
        site_signals.frustration_score,

        -- the 24-hour period the values describe (UTC)
        site.window_start_at,
        site.window_end_at,
        site.fetched_at

    from site
    left join site_signals
        on
            site.project = site_signals.project
            and site.activity_date = site_signals.activity_date

)

select * from final
