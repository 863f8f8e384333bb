{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set provenance = [
    'period_id', 'value_source', 'day_coverage', 'snapshot_id', 'subtracted_snapshot_id',
    'fetched_at', 'window_start_at', 'window_end_at',
] -%}
{%- set bigint = dbt.type_bigint() %}

with

scoped as (

    select
        project,
        scope,
        dimension,
        scope_key,
        activity_date,
        {{ provenance | join(',\n        ') }},
        {{ clarity_signal_columns(['base_sessions', 'sessions', 'sessions_error'])
            | join(',\n        ') }}
    from {{ ref('int_daily_metrics_scoped') }}
    where {{ clarity_lookback_filter('activity_date') }}

),

signals as (

    {%- for signal in clarity_signals() %}
    {% if not loop.first %}union all
    {% endif %}select '{{ signal.key }}' as signal  -- noqa: RF04
    {%- endfor %}

),

-- each scope row once per signal, its two counts summed over the rows of the scope (the raw URL
-- variants of a page)
unpivoted as (

    select
        scoped.project,
        scoped.scope,
        scoped.dimension,
        scoped.scope_key,
        scoped.activity_date,
        signals.signal,
        scoped.{{ provenance | join(',\n        scoped.') }},
        cast(coalesce(sum(
            case signals.signal
                {%- for signal in clarity_signals() %}
                when '{{ signal.key }}' then scoped.{{ signal.key }}_base_sessions
                {%- endfor %}
            end
        ), 0) as {{ bigint }}) as base_sessions,
        cast(coalesce(sum(
            case signals.signal
                {%- for signal in clarity_signals() %}
                when '{{ signal.key }}' then scoped.{{ signal.key }}_sessions
                {%- endfor %}
            end
        ), 0) as {{ bigint }}) as sessions_with_signal,
        -- the stated errors of a solved estimate, added over the variants (an upper bound)
        sum(
            case signals.signal
                {%- for signal in clarity_signals() %}
                when '{{ signal.key }}' then scoped.{{ signal.key }}_sessions_error
                {%- endfor %}
            end
        ) as sessions_with_signal_error
    from scoped
    cross join signals
    group by
        scoped.project,
        scoped.scope,
        scoped.dimension,
        scoped.scope_key,
        scoped.activity_date,
        signals.signal,
        scoped.{{ provenance | join(',\n        scoped.') }}

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(
            ['project', 'scope', 'dimension', 'scope_key', 'activity_date', 'signal']
        ) }} as signal_day_id,
        project,
        scope,
        dimension,
        scope_key,
        activity_date,
        signal,  -- noqa: RF04

        -- counts
        base_sessions,
        sessions_with_signal,
        sessions_with_signal_error,

        -- the 24-hour period the counts describe
        {{ provenance | join(',\n        ') }}

    from unpivoted

)

select * from final
