{#- One row per project, dimension, dimension value and UTC date with a daily value, from the
    single-dimension sets (Device, Browser, OS, Country, Channel, Campaign) and the
    Source+Medium set, each from its own chosen one-day snapshot. A missing value (no campaign,
    no source for direct traffic) is '(not set)'; a Source+Medium value reads
    'source / medium'. Incremental like fct_page_daily: whole (project, date) partitions in
    the lookback window are rebuilt. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['project', 'activity_date'],
        on_schema_change='fail',
    )
}}

{%- set single_dimensions = ['Device', 'Browser', 'OS', 'Country', 'Channel', 'Campaign'] -%}
{%- set segment_sets = single_dimensions + ['Medium,Source'] -%}

{%- set bigint = dbt.type_bigint() %}

with

chosen as (

    select
        project,
        dimensions,
        activity_date,
        snapshot_id,
        day_coverage,
        fetched_at
    from {{ ref('int_snapshots_chosen_daily') }}
    where
        dimensions in (
            {%- for dimension_set in segment_sets %}
            '{{ dimension_set }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
        and {{ clarity_lookback_filter('activity_date') }}

),

segment_metrics as (

    select
        snapshot_id,
        case dimensions
            when 'Medium,Source' then 'Source+Medium'
            else dimensions
        end as dimension,
        case dimensions
            {%- for dimension in single_dimensions %}
            when '{{ dimension }}' then coalesce({{ dimension | lower }}, '(not set)')
            {%- endfor %}
            when 'Medium,Source'
                then coalesce(source, '(not set)') || ' / ' || coalesce(medium, '(not set)')
        end as dimension_value,
        sessions,
        bot_sessions,
        distinct_users,
        {%- for signal in clarity_signals() %}
        {{ signal.key }}_base_sessions,
        {{ signal.key }}_sessions,
        {%- endfor %}
        page_views
    from {{ ref('int_snapshot_metrics_pivoted') }}
    where
        dimensions in (
            {%- for dimension_set in segment_sets %}
            '{{ dimension_set }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

segments as (

    select
        chosen.project,
        segment_metrics.dimension,
        segment_metrics.dimension_value,
        chosen.activity_date,
        chosen.snapshot_id,
        chosen.day_coverage,
        chosen.fetched_at,
        {%- for signal in clarity_signals() %}
        cast(coalesce(sum(segment_metrics.{{ signal.key }}_base_sessions), 0) as {{ bigint }})
            as {{ signal.key }}_base_sessions,
        cast(coalesce(sum(segment_metrics.{{ signal.key }}_sessions), 0) as {{ bigint }})
            as {{ signal.key }}_sessions,
        {%- endfor %}
        cast(coalesce(sum(segment_metrics.sessions), 0) as {{ bigint }}) as sessions,
        cast(coalesce(sum(segment_metrics.bot_sessions), 0) as {{ bigint }}) as bot_sessions,
        cast(coalesce(sum(segment_metrics.distinct_users), 0) as {{ bigint }}) as distinct_users,
        cast(coalesce(sum(segment_metrics.page_views), 0) as {{ bigint }}) as page_views
    from chosen
    inner join segment_metrics
        on chosen.snapshot_id = segment_metrics.snapshot_id
    group by
        chosen.project,
        segment_metrics.dimension,
        segment_metrics.dimension_value,
        chosen.activity_date,
        chosen.snapshot_id,
        chosen.day_coverage,
        chosen.fetched_at

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(
            ['project', 'dimension', 'dimension_value', 'activity_date']
        ) }} as segment_day_id,
        project,
        dimension,
        dimension_value,
        activity_date,
        snapshot_id,
        day_coverage,

        -- traffic
        sessions,
        bot_sessions,
        distinct_users,
        page_views,

        -- frustration signals
        {%- for signal in clarity_signals() %}
        {{ signal.key }}_base_sessions,
        {{ signal.key }}_sessions,
        {{ clarity_safe_divide(
            signal.key ~ '_sessions', signal.key ~ '_base_sessions'
        ) }} as {{ signal.key }}_rate,
        {%- endfor %}

        -- lineage
        fetched_at

    from segments

)

select * from final
