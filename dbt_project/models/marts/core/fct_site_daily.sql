{#- One row per project and UTC date with a daily value: the site-level (no dimension)
    measures of the chosen one-day snapshot. Days whose best window covers less than
    var('clarity_min_day_coverage') have no row (see fct_collection_daily for why). -#}
with

chosen as (

    select
        project,
        activity_date,
        snapshot_id,
        day_coverage,
        fetched_at,
        window_start_at,
        window_end_at
    from {{ ref('int_snapshots_chosen_daily') }}
    where dimensions = ''

),

site_metrics as (

    select
        snapshot_id,
        {%- for signal in clarity_signals() %}
        {{ signal.key }}_base_sessions,
        {{ signal.key }}_sessions,
        {%- endfor %}
        sessions,
        bot_sessions,
        distinct_users,
        page_views,
        pages_per_session,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds
    from {{ ref('int_snapshot_metrics_pivoted') }}
    where dimensions = ''

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['chosen.project', 'chosen.activity_date']) }} as site_day_id,
        chosen.project,
        chosen.activity_date,
        chosen.snapshot_id,
        chosen.day_coverage,

        -- traffic and engagement (an empty window counts as zero sessions)
        coalesce(site_metrics.sessions, 0) as sessions,
        coalesce(site_metrics.bot_sessions, 0) as bot_sessions,
        coalesce(site_metrics.distinct_users, 0) as distinct_users,
        coalesce(site_metrics.page_views, 0) as page_views,
        site_metrics.pages_per_session,
        site_metrics.avg_scroll_depth,
        site_metrics.avg_total_time_seconds,
        site_metrics.avg_active_time_seconds,

        -- frustration signals
        {%- for signal in clarity_signals() %}
        coalesce(site_metrics.{{ signal.key }}_base_sessions, 0)
            as {{ signal.key }}_base_sessions,
        coalesce(site_metrics.{{ signal.key }}_sessions, 0) as {{ signal.key }}_sessions,
        {{ clarity_safe_divide(
            'site_metrics.' ~ signal.key ~ '_sessions',
            'site_metrics.' ~ signal.key ~ '_base_sessions'
        ) }} as {{ signal.key }}_rate,
        {%- endfor %}

        -- window (UTC)
        chosen.fetched_at,
        chosen.window_start_at,
        chosen.window_end_at

    from chosen
    left join site_metrics
        on chosen.snapshot_id = site_metrics.snapshot_id

)

select * from final
