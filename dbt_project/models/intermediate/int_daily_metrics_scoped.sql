{#- Incremental by date, as the daily marts that read it: a run rebuilds the dates of the
    lookback (macro clarity_lookback_filter) and joins only their chosen periods to their metric
    rows, once for the four marts (a view joined every chosen period each time a mart read it). -#}
{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set single_dimensions = ['Device', 'Browser', 'OS', 'Country', 'Channel', 'Campaign'] -%}
{%- set segment_sets = single_dimensions + ['Medium,Source'] -%}
{%- set signal_columns = clarity_signal_columns(['base_sessions', 'sessions']) -%}

with

chosen as (

    select
        project,
        dimensions,
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
        dimensions in (
            '', 'URL',
            {%- for dimension_set in segment_sets %}
            '{{ dimension_set }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
        and {{ clarity_lookback_filter('activity_date') }}

),

final as (

    select
        chosen.project,
        chosen.dimensions,
        case chosen.dimensions
            when '' then 'site'
            when 'URL' then 'page'
            else 'segment'
        end as scope,
        case chosen.dimensions
            when 'Medium,Source' then 'Source+Medium'
            {%- for dimension in single_dimensions %}
            when '{{ dimension }}' then '{{ dimension }}'
            {%- endfor %}
        end as dimension,
        -- a missing segment value (no campaign, no source for direct traffic) is '(not set)'
        case chosen.dimensions
            when 'URL' then metrics.page_url
            {%- for dimension in single_dimensions %}
            when '{{ dimension }}'
                then coalesce(metrics.{{ dimension | lower }}, '(not set)')
            {%- endfor %}
            when 'Medium,Source'
                then
                    coalesce(metrics.source, '(not set)') || ' / '
                    || coalesce(metrics.medium, '(not set)')
        end as scope_key,
        chosen.activity_date,
        chosen.period_id,
        chosen.value_source,
        chosen.snapshot_id,
        chosen.subtracted_snapshot_id,
        chosen.day_coverage,
        chosen.fetched_at,
        chosen.window_start_at,
        chosen.window_end_at,
        metrics.page_url_raw,
        metrics.sessions,
        metrics.bot_sessions,
        metrics.distinct_users,
        metrics.page_views,
        metrics.pages_per_session,
        metrics.avg_scroll_depth,
        metrics.avg_total_time_seconds,
        metrics.avg_active_time_seconds,
        metrics.{{ signal_columns | join(',\n        metrics.') }},
        metrics.sessions_error,
        metrics.{{ clarity_signal_columns(['sessions_error']) | join(',\n        metrics.') }}
    from chosen
    -- the site's period is its own row even without any metric row (an empty window)
    left join {{ ref('int_period_metrics') }} as metrics
        on chosen.period_id = metrics.period_id
    where
        chosen.dimensions = ''
        or (
            metrics.period_id is not null
            -- Traffic's row without a URL is no page
            and (chosen.dimensions <> 'URL' or metrics.page_url is not null)
        )

)

select * from final
