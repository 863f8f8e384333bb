{#- One row per project, normalised page URL and date (of the project's time zone) with a daily
    URL value: the page's measures in the chosen 24-hour URL period (a one-day window or a
    nested slice: value_source), summed over its raw URL variants (rates recombined from the
    summed counts). Rows without a URL (Traffic's unattributed row) are
    left out. Incremental: each run rebuilds the dates in the lookback window, whole days at a
    time (unique_key is the (project, date) partition, so a page that vanished from a re-chosen
    snapshot does not linger). -#}
{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set bigint = dbt.type_bigint() %}

with

chosen as (

    select
        project,
        activity_date,
        period_id,
        value_source,
        snapshot_id,
        subtracted_snapshot_id,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at
    from {{ ref('int_periods_chosen_daily') }}
    where
        dimensions = 'URL'
        and {{ clarity_lookback_filter('activity_date') }}

),

url_metrics as (

    select
        period_id,
        page_url,
        page_url_raw,
        sessions,
        bot_sessions,
        distinct_users,
        page_views,
        avg_scroll_depth,
        avg_total_time_seconds,
        {%- for signal in clarity_signals() %}
        {{ signal.key }}_base_sessions,
        {{ signal.key }}_sessions,
        {%- endfor %}
        avg_active_time_seconds
    from {{ ref('int_period_metrics') }}
    where page_url is not null

),

pages as (

    select
        chosen.project,
        url_metrics.page_url,
        chosen.activity_date,
        chosen.value_source,
        chosen.snapshot_id,
        chosen.subtracted_snapshot_id,
        chosen.day_coverage,
        chosen.fetched_at,
        chosen.window_start_at,
        chosen.window_end_at,
        cast(count(distinct url_metrics.page_url_raw) as {{ bigint }}) as url_variant_count,
        cast(coalesce(sum(url_metrics.sessions), 0) as {{ bigint }}) as sessions,
        cast(coalesce(sum(url_metrics.bot_sessions), 0) as {{ bigint }}) as bot_sessions,
        cast(coalesce(sum(url_metrics.page_views), 0) as {{ bigint }}) as page_views,
        {%- for signal in clarity_signals() %}
        cast(coalesce(sum(url_metrics.{{ signal.key }}_base_sessions), 0) as {{ bigint }})
            as {{ signal.key }}_base_sessions,
        cast(coalesce(sum(url_metrics.{{ signal.key }}_sessions), 0) as {{ bigint }})
            as {{ signal.key }}_sessions,
        {%- endfor %}
        -- engagement averages weighted by the sessions of each variant
        sum(url_metrics.avg_scroll_depth * url_metrics.sessions) as scroll_depth_weighted,
        sum(
            case when url_metrics.avg_scroll_depth is not null then url_metrics.sessions end
        ) as scroll_depth_sessions,
        sum(url_metrics.avg_total_time_seconds * url_metrics.sessions) as total_time_weighted,
        sum(url_metrics.avg_active_time_seconds * url_metrics.sessions) as active_time_weighted,
        sum(
            case
                when url_metrics.avg_total_time_seconds is not null then url_metrics.sessions
            end
        ) as time_sessions
    from chosen
    inner join url_metrics
        on chosen.period_id = url_metrics.period_id
    group by
        chosen.project,
        url_metrics.page_url,
        chosen.activity_date,
        chosen.value_source,
        chosen.snapshot_id,
        chosen.subtracted_snapshot_id,
        chosen.day_coverage,
        chosen.fetched_at,
        chosen.window_start_at,
        chosen.window_end_at

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['project', 'page_url', 'activity_date']) }} as page_day_id,
        {{ clarity_surrogate_key(['project', 'page_url']) }} as page_id,
        project,
        page_url,
        activity_date,
        snapshot_id,
        subtracted_snapshot_id,
        value_source,
        day_coverage,
        url_variant_count,

        -- traffic and engagement
        sessions,
        bot_sessions,
        page_views,
        {{ clarity_safe_divide('scroll_depth_weighted', 'scroll_depth_sessions') }}
            as avg_scroll_depth,
        {{ clarity_safe_divide('total_time_weighted', 'time_sessions') }}
            as avg_total_time_seconds,
        {{ clarity_safe_divide('active_time_weighted', 'time_sessions') }}
            as avg_active_time_seconds,

        -- frustration signals
        {%- for signal in clarity_signals() %}
        {{ signal.key }}_base_sessions,
        {{ signal.key }}_sessions,
        {{ clarity_safe_divide(
            signal.key ~ '_sessions', signal.key ~ '_base_sessions'
        ) }} as {{ signal.key }}_rate,
        {%- endfor %}

        -- the 24-hour period the values describe (UTC)
        window_start_at,
        window_end_at,
        fetched_at

    from pages

)

select * from final
