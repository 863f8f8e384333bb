{#- Incremental by snapshot: a window's measures depend on its own snapshot only, so a run
    appends the site-level snapshots not measured yet (an archive import of old data included).
    Which date a window is chosen for depends on later windows: fct_site_windows joins it. -#}
{{ config(**clarity_incremental_config('snapshot_id', append_only=true)) }}
with

snapshots as (

    select
        snapshot_id,
        project,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at
    -- the alias is used by the incremental filter only
    from {{ ref('stg_clarity__snapshots') }} as all_snapshots  -- noqa: AL05
    where
        dimensions = ''
        and {{ clarity_snapshot_not_built('all_snapshots') }}

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
    where
        dimensions = ''
        -- on an incremental run, only the snapshots not measured yet
        and snapshot_id in (select new_snapshots.snapshot_id from snapshots as new_snapshots)

),

final as (

    select
        -- ids
        snapshots.snapshot_id,
        snapshots.project,
        snapshots.num_of_days,

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
        snapshots.fetched_at,
        snapshots.window_start_at,
        snapshots.window_end_at

    from snapshots
    left join site_metrics
        on snapshots.snapshot_id = site_metrics.snapshot_id

)

select * from final
