{#- One row per project, dimension, dimension value and date (of the project's time zone) with a
    daily value, from the single-dimension sets (Device, Browser, OS, Country, Channel, Campaign)
    and the Source+Medium set, each from its own chosen 24-hour period (value_source). A missing
    value (no campaign, no source for direct traffic) is '(not set)'; a Source+Medium value
    reads 'source / medium'. Incremental like fct_page_daily: whole (project, date) partitions
    in the lookback window are rebuilt. -#}
{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set single_dimensions = ['Device', 'Browser', 'OS', 'Country', 'Channel', 'Campaign'] -%}
{%- set segment_sets = single_dimensions + ['Medium,Source'] -%}

{%- set bigint = dbt.type_bigint() %}

with

chosen as (

    select
        project,
        dimensions,
        activity_date,
        period_id,
        value_source,
        snapshot_id,
        day_coverage,
        fetched_at
    from {{ ref('int_periods_chosen_daily') }}
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
        chosen.project,
        chosen.activity_date,
        chosen.value_source,
        chosen.snapshot_id,
        chosen.day_coverage,
        chosen.fetched_at,
        case chosen.dimensions
            when 'Medium,Source' then 'Source+Medium'
            else chosen.dimensions
        end as dimension,
        case chosen.dimensions
            {%- for dimension in single_dimensions %}
            when '{{ dimension }}'
                then coalesce(metrics.{{ dimension | lower }}, '(not set)')
            {%- endfor %}
            when 'Medium,Source'
                then
                    coalesce(metrics.source, '(not set)') || ' / '
                    || coalesce(metrics.medium, '(not set)')
        end as dimension_value,
        metrics.sessions,
        metrics.bot_sessions,
        metrics.distinct_users,
        {%- for signal in clarity_signals() %}
        metrics.{{ signal.key }}_base_sessions,
        metrics.{{ signal.key }}_sessions,
        {%- endfor %}
        metrics.page_views
    from chosen
    inner join {{ ref('int_period_metrics') }} as metrics
        on chosen.period_id = metrics.period_id

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
        {%- for signal in clarity_signals() %}
        cast(coalesce(sum({{ signal.key }}_base_sessions), 0) as {{ bigint }})
            as {{ signal.key }}_base_sessions,
        cast(coalesce(sum({{ signal.key }}_sessions), 0) as {{ bigint }})
            as {{ signal.key }}_sessions,
        {%- endfor %}
        cast(coalesce(sum(sessions), 0) as {{ bigint }}) as sessions,
        cast(coalesce(sum(bot_sessions), 0) as {{ bigint }}) as bot_sessions,
        -- distinct users are not additive: a nested slice has none (null)
        cast(
            case
                when value_source = 'one_day_window' then coalesce(sum(distinct_users), 0)
            end as {{ bigint }}
        ) as distinct_users,
        cast(coalesce(sum(page_views), 0) as {{ bigint }}) as page_views
    from segment_metrics
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
        value_source,
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
