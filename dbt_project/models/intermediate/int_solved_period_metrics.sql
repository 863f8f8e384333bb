{{ config(materialized='view') }}

{%- set dimension_columns = [
    'page_url_raw', 'device', 'browser', 'os', 'country', 'source', 'medium', 'campaign',
    'channel',
] -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set numeric = dbt.type_numeric() -%}
{%- set double = clarity_type_double() -%}
{#- column: the solver's measure (a signal's measures are named by its metric block) -#}
{%- set measures = {
    'sessions': 'sessions', 'bot_sessions': 'bot_sessions', 'page_views': 'page_views',
} -%}
{%- for signal in clarity_signals() -%}
{%- do measures.update({
        signal.key ~ '_base_sessions': signal.block ~ ':base_sessions',
        signal.key ~ '_sessions': signal.block ~ ':sessions',
    }) -%}
{%- endfor -%}
{%- set error_sums = [] -%}
{%- for column in ['sessions'] + clarity_signal_columns(['sessions']) -%}
{#- a measure the solver wrote no row for is zero with a negligible error (ingestion/solve:
    nothing to add, as a series absent from a window): its error is 0, not unknown -#}
{%- do error_sums.append(
        "coalesce(sum(case when measure = '" ~ measures[column] ~ "' then solved_error end), 0)"
        ~ " as " ~ column ~ '_error'
    ) -%}
{%- endfor -%}

with

solved as (

    select
        period_id,
        {{ dimension_columns | join(',\n        ') }},
        measure,
        solved_value,
        solved_error
    from {{ ref('stg_clarity__solved_periods') }}

),

-- the measures of a scope side by side; the unrounded solved values are added, then rounded, as
-- a snapshot's are
pivoted as (

    select
        period_id,
        {{ dimension_columns | join(',\n        ') }},
        {%- for column, measure in measures.items() %}
        sum(case when measure = '{{ measure }}' then solved_value end) as {{ column }},
        {%- endfor %}
        {{ error_sums | join(',\n        ') }}
    from solved
    group by
        period_id,
        {{ dimension_columns | join(',\n        ') }}

),

final as (

    select
        pivoted.period_id,
        periods.value_source,
        pivoted.{{ dimension_columns | join(',\n        pivoted.') }},
        {{ clarity_normalize_url('pivoted.page_url_raw') }} as page_url,
        {%- for column in ['sessions', 'bot_sessions', 'page_views']
            + clarity_signal_columns(['base_sessions']) %}
        cast(round(cast(pivoted.{{ column }} as {{ numeric }})) as {{ bigint }})
            as {{ column }},
        {%- endfor %}
        {#- solved on its own, a signal's sessions may round above its base: held to it #}
        {%- for signal in clarity_signals() %}
        cast(least(
            round(cast(pivoted.{{ signal.key }}_sessions as {{ numeric }})),
            round(cast(pivoted.{{ signal.key }}_base_sessions as {{ numeric }}))
        ) as {{ bigint }}) as {{ signal.key }}_sessions,
        {%- endfor %}
        cast(null as {{ bigint }}) as distinct_users,
        cast(null as {{ double }}) as pages_per_session,
        cast(null as {{ double }}) as avg_scroll_depth,
        cast(null as {{ double }}) as avg_total_time_seconds,
        cast(null as {{ double }}) as avg_active_time_seconds,
        pivoted.sessions_error,
        pivoted.{{ clarity_signal_columns(['sessions_error']) | join(',\n        pivoted.') }}
    from pivoted
    inner join {{ ref('int_solved_periods') }} as periods
        on pivoted.period_id = periods.period_id

)

select * from final
