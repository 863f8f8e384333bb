{%- set dimension_columns = [
    'page_url_raw', 'device', 'browser', 'os', 'country', 'source', 'medium', 'campaign',
    'channel',
] -%}
{%- set bigint = dbt.type_bigint() -%}
{#- rounding happens on numeric: half away from zero on every engine (round of a double is
    half-even on PostgreSQL) -#}
{%- set numeric = dbt.type_numeric() -%}
{%- set blocks = clarity_signals() | map(attribute='block') | list
    + ['ScrollDepth', 'Traffic', 'EngagementTime'] -%}
{#- Incremental by snapshot: raw responses never change once loaded, so a run pivots only the
    snapshots not pivoted yet (an archive import of old data included). -#}
{{ config(**clarity_incremental_config('snapshot_id', append_only=true)) }}
with

snapshots as (

    select
        snapshot_id,
        project,
        dimensions,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at
    -- the alias is used by the incremental filter only
    from {{ ref('stg_clarity__snapshots') }} as all_snapshots  -- noqa: AL05
    where {{ clarity_snapshot_not_built('all_snapshots') }}

),

metric_rows as (

    select
        snapshot_id,
        metric_name,
        {{ dimension_columns | join(',\n        ') }},
        sessions_count,
        -- sessions with the block's signal, before rounding to a whole number per raw row
        sessions_with_metric_pct * sessions_count / 100 as sessions_with_signal,
        average_scroll_depth,
        total_session_count,
        total_bot_session_count,
        distinct_user_count,
        pages_per_session,
        total_time_seconds,
        active_time_seconds
    from {{ ref('stg_clarity__metric_rows') }}
    where
        metric_name in (
            {%- for block in blocks %}
            '{{ block }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
        -- on an incremental run, only the snapshots not pivoted yet; a snapshot's rows are
        -- written in the same dlt load as the snapshot, so naming the loads lets the scan skip
        -- the row groups of older loads instead of reading every row
        and snapshot_id in (select new_snapshots.snapshot_id from snapshots as new_snapshots)
    {% if is_incremental() %}
        and dlt_load_id in (
            select loads.dlt_load_id
            from {{ ref('stg_clarity__snapshots') }} as loads
            inner join snapshots as new_snapshots
                on loads.snapshot_id = new_snapshots.snapshot_id
        )
    {% endif %}

),

pivoted as (

    select
        snapshot_id,
        {{ dimension_columns | join(',\n        ') }},
        {{ clarity_pivot_signals(
            {
                'base_sessions': 'sessions_count',
                'sessions': 'round(cast(sessions_with_signal as ' ~ numeric ~ '))',
            },
            signal_column='metric_name',
            match='block',
            aggregate='sum',
        ) }},
        sum(case when metric_name = 'Traffic' then total_session_count end) as sessions,
        sum(case when metric_name = 'Traffic' then total_bot_session_count end) as bot_sessions,
        sum(case when metric_name = 'Traffic' then distinct_user_count end) as distinct_users,
        sum(
            case when metric_name = 'Traffic' then pages_per_session * total_session_count end
        ) as page_views_exact,
        avg(
            case when metric_name = 'ScrollDepth' then average_scroll_depth end
        ) as avg_scroll_depth,
        -- avg() of a bigint is a double on DuckDB but a numeric on PostgreSQL: average doubles
        avg(
            case
                when metric_name = 'EngagementTime'
                    then cast(total_time_seconds as {{ clarity_type_double() }})
            end
        ) as avg_total_time_seconds,
        avg(
            case
                when metric_name = 'EngagementTime'
                    then cast(active_time_seconds as {{ clarity_type_double() }})
            end
        ) as avg_active_time_seconds,
        count(*) as metric_rows
    from metric_rows
    group by
        snapshot_id,
        {{ dimension_columns | join(',\n        ') }}

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['pivoted.snapshot_id'] + dimension_columns) }} as scope_id,
        pivoted.snapshot_id,
        snapshots.project,
        snapshots.dimensions,
        snapshots.num_of_days,

        -- scope
        pivoted.page_url_raw,
        {{ clarity_normalize_url('pivoted.page_url_raw') }} as page_url,
        pivoted.device,
        pivoted.browser,
        pivoted.os,
        pivoted.country,
        pivoted.source,
        pivoted.medium,
        pivoted.campaign,
        pivoted.channel,

        -- traffic and engagement
        cast(pivoted.sessions as {{ bigint }}) as sessions,
        cast(pivoted.bot_sessions as {{ bigint }}) as bot_sessions,
        cast(pivoted.distinct_users as {{ bigint }}) as distinct_users,
        cast(
            round(cast(pivoted.page_views_exact as {{ numeric }})) as {{ bigint }}
        ) as page_views,
        {{ clarity_safe_divide('pivoted.page_views_exact', 'pivoted.sessions') }}
            as pages_per_session,
        pivoted.avg_scroll_depth,
        pivoted.avg_total_time_seconds,
        pivoted.avg_active_time_seconds,

        -- frustration signals (0 when the block has no row for the scope: it counted no session)
        {%- for column in clarity_signal_columns(['base_sessions', 'sessions']) %}
        cast(coalesce(pivoted.{{ column }}, 0) as {{ bigint }}) as {{ column }},
        {%- endfor %}
        pivoted.metric_rows,

        -- window (UTC)
        snapshots.fetched_at,
        snapshots.window_start_at,
        snapshots.window_end_at

    from pivoted
    inner join snapshots
        on pivoted.snapshot_id = snapshots.snapshot_id

)

select * from final
