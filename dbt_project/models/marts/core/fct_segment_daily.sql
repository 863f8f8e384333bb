{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set bigint = dbt.type_bigint() %}

with

segment_rows as (

    select
        project,
        dimension,
        scope_key as dimension_value,
        activity_date,
        value_source,
        snapshot_id,
        day_coverage,
        fetched_at,
        sessions,
        sessions_error,
        bot_sessions,
        distinct_users,
        page_views,
        pages_per_session,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds
    from {{ ref('int_daily_metrics_scoped') }}
    where
        scope = 'segment'
        and {{ clarity_lookback_filter('activity_date') }}

),

segments as (

    select
        project,
        dimension,
        dimension_value,
        activity_date,
        value_source,
        snapshot_id,
        day_coverage,
        fetched_at,
        cast(coalesce(sum(sessions), 0) as {{ bigint }}) as sessions,
        cast(coalesce(sum(bot_sessions), 0) as {{ bigint }}) as bot_sessions,
        -- the variants' stated errors added: an upper bound of the sum's
        sum(sessions_error) as sessions_error,
        -- distinct users are not additive: a nested slice has none (null)
        cast(
            case
                when value_source = 'one_day_window' then coalesce(sum(distinct_users), 0)
            end as {{ bigint }}
        ) as distinct_users,
        cast(coalesce(sum(page_views), 0) as {{ bigint }}) as page_views,
        -- engagement averages weighted by the sessions of each row (null on a nested slice or
        -- a solved period: averages are never differenced or solved)
        sum(pages_per_session * sessions) as pages_weighted,
        sum(case when pages_per_session is not null then sessions end) as pages_sessions,
        sum(avg_scroll_depth * sessions) as scroll_depth_weighted,
        sum(case when avg_scroll_depth is not null then sessions end) as scroll_depth_sessions,
        sum(avg_total_time_seconds * sessions) as total_time_weighted,
        sum(avg_active_time_seconds * sessions) as active_time_weighted,
        sum(case when avg_total_time_seconds is not null then sessions end) as time_sessions
    from segment_rows
    group by
        project,
        dimension,
        dimension_value,
        activity_date,
        value_source,
        snapshot_id,
        day_coverage,
        fetched_at

),

segment_signals as (

    select
        project,
        dimension,
        scope_key as dimension_value,
        activity_date,
        {{ clarity_pivot_signals() }}
    from {{ ref('fct_signal_daily') }}
    where
        scope = 'segment'
        and {{ clarity_lookback_filter('activity_date') }}
    group by
        project,
        dimension,
        scope_key,
        activity_date

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key([
            'segments.project',
            'segments.dimension',
            'segments.dimension_value',
            'segments.activity_date',
        ]) }} as segment_day_id,
        segments.project,
        segments.dimension,
        segments.dimension_value,
        segments.activity_date,
        segments.snapshot_id,
        segments.value_source,
        segments.day_coverage,

        -- traffic
        segments.sessions,
        segments.sessions_error,
        segments.bot_sessions,
        segments.distinct_users,
        segments.page_views,

        -- engagement (non-additive: one-day windows only)
        {{ clarity_safe_divide('segments.pages_weighted', 'segments.pages_sessions') }}
            as pages_per_session,
        {{ clarity_safe_divide(
            'segments.scroll_depth_weighted', 'segments.scroll_depth_sessions'
        ) }} as avg_scroll_depth,
        {{ clarity_safe_divide('segments.total_time_weighted', 'segments.time_sessions') }}
            as avg_total_time_seconds,
        {{ clarity_safe_divide('segments.active_time_weighted', 'segments.time_sessions') }}
            as avg_active_time_seconds,

        -- frustration signals
        {{ clarity_signal_columns(['base_sessions', 'sessions', 'rate'], 'segment_signals.')
            | join(',\n        ') }},

        -- lineage
        segments.fetched_at

    from segments
    left join segment_signals
        on
            segments.project = segment_signals.project
            and segments.dimension = segment_signals.dimension
            and segments.dimension_value = segment_signals.dimension_value
            and segments.activity_date = segment_signals.activity_date

)

select * from final
