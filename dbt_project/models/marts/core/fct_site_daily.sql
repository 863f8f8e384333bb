{#- One row per project and date (of the project's time zone) with a daily value: the site-level
    (no dimension) measures of the chosen 24-hour period, a one-day window or a nested slice
    (value_source). Dates whose best period covers less than var('clarity_min_day_coverage') have
    no row (see fct_collection_daily for why). -#}
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
    where dimensions = ''

),

site_metrics as (

    select
        period_id,
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
    -- the periods chosen are no-dimension ones: one row each, the site
    from {{ ref('int_period_metrics') }}

),

weights as (

    {{ clarity_score_weights() }}

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['chosen.project', 'chosen.activity_date']) }} as site_day_id,
        chosen.project,
        chosen.activity_date,
        chosen.snapshot_id,
        chosen.subtracted_snapshot_id,
        chosen.value_source,
        chosen.day_coverage,

        -- traffic and engagement (an empty window counts as zero sessions; what a nested
        -- slice cannot give is null)
        coalesce(site_metrics.sessions, 0) as sessions,
        coalesce(site_metrics.bot_sessions, 0) as bot_sessions,
        case
            when chosen.value_source = 'one_day_window'
                then coalesce(site_metrics.distinct_users, 0)
        end as distinct_users,
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
        {{ clarity_score(clarity_safe_divide(
            'site_metrics.{signal}_sessions', 'site_metrics.{signal}_base_sessions'
        )) }} as frustration_score,

        -- the 24-hour period the values describe (UTC)
        chosen.window_start_at,
        chosen.window_end_at,
        chosen.fetched_at

    from chosen
    left join site_metrics
        on chosen.period_id = site_metrics.period_id
    cross join weights

)

select * from final
