{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set bigint = dbt.type_bigint() %}

with

url_rows as (

    select
        project,
        scope_key as page_url,
        activity_date,
        value_source,
        snapshot_id,
        subtracted_snapshot_id,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at,
        page_url_raw,
        sessions,
        sessions_error,
        bot_sessions,
        page_views,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds
    from {{ ref('int_daily_metrics_scoped') }}
    where
        scope = 'page'
        and {{ clarity_lookback_filter('activity_date') }}

),

pages as (

    select
        project,
        page_url,
        activity_date,
        value_source,
        snapshot_id,
        subtracted_snapshot_id,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at,
        cast(count(distinct page_url_raw) as {{ bigint }}) as url_variant_count,
        cast(coalesce(sum(sessions), 0) as {{ bigint }}) as sessions,
        cast(coalesce(sum(bot_sessions), 0) as {{ bigint }}) as bot_sessions,
        -- the variants' stated errors added: an upper bound of the sum's
        sum(sessions_error) as sessions_error,
        cast(coalesce(sum(page_views), 0) as {{ bigint }}) as page_views,
        -- engagement averages weighted by the sessions of each variant
        sum(avg_scroll_depth * sessions) as scroll_depth_weighted,
        sum(case when avg_scroll_depth is not null then sessions end) as scroll_depth_sessions,
        sum(avg_total_time_seconds * sessions) as total_time_weighted,
        sum(avg_active_time_seconds * sessions) as active_time_weighted,
        sum(case when avg_total_time_seconds is not null then sessions end) as time_sessions
    from url_rows
    group by
        project,
        page_url,
        activity_date,
        value_source,
        snapshot_id,
        subtracted_snapshot_id,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at

),

page_signals as (

    select
        project,
        scope_key as page_url,
        activity_date,
        {{ clarity_pivot_signals() }}
    from {{ ref('fct_signal_daily') }}
    where
        scope = 'page'
        and {{ clarity_lookback_filter('activity_date') }}
    group by
        project,
        scope_key,
        activity_date

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(
            ['pages.project', 'pages.page_url', 'pages.activity_date']
        ) }} as page_day_id,
        {{ clarity_surrogate_key(['pages.project', 'pages.page_url']) }} as page_id,
        pages.project,
        pages.page_url,
        pages.activity_date,
        pages.snapshot_id,
        pages.subtracted_snapshot_id,
        pages.value_source,
        pages.day_coverage,
        pages.url_variant_count,

        -- traffic and engagement
        pages.sessions,
        pages.sessions_error,
        pages.bot_sessions,
        pages.page_views,
        {{ clarity_safe_divide('pages.scroll_depth_weighted', 'pages.scroll_depth_sessions') }}
            as avg_scroll_depth,
        {{ clarity_safe_divide('pages.total_time_weighted', 'pages.time_sessions') }}
            as avg_total_time_seconds,
        {{ clarity_safe_divide('pages.active_time_weighted', 'pages.time_sessions') }}
            as avg_active_time_seconds,

        -- frustration signals
        {{ clarity_signal_columns(['base_sessions', 'sessions', 'rate'], 'page_signals.')
            | join(',\n        ') }},

        -- the 24-hour period the values describe (UTC)
        pages.window_start_at,
        pages.window_end_at,
        pages.fetched_at

    from pages
    left join page_signals
        on
            pages.project = page_signals.project
            and pages.page_url = page_signals.page_url
            and pages.activity_date = page_signals.activity_date

)

select * from final
