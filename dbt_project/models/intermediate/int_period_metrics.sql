{{ config(materialized='view') }}

{%- set dimension_columns = [
    'page_url_raw', 'device', 'browser', 'os', 'country', 'source', 'medium', 'campaign',
    'channel',
] -%}
{%- set signal_columns = clarity_signal_columns(['base_sessions', 'sessions']) -%}
{%- set double = clarity_type_double() -%}
{%- set errors = ['sessions_error'] + clarity_signal_columns(['sessions_error']) -%}
{#- the solver's stated errors, null for the values that were not solved -#}
{%- set no_errors = [] -%}
{%- for column in errors -%}
{%- do no_errors.append('cast(null as ' ~ double ~ ') as ' ~ column) -%}
{%- endfor -%}

with

one_day_windows as (

    select
        snapshot_id as period_id,
        'one_day_window' as value_source,
        {{ dimension_columns | join(',\n        ') }},
        page_url,
        sessions,
        bot_sessions,
        page_views,
        {{ signal_columns | join(',\n        ') }},
        distinct_users,
        pages_per_session,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds,
        {{ no_errors | join(',\n        ') }}
    from {{ ref('int_snapshot_metrics_pivoted') }}
    where num_of_days = 1

),

nested_slices as (

    select
        slice_id as period_id,
        'nested_difference' as value_source,
        {{ dimension_columns | join(',\n        ') }},
        page_url,
        sessions,
        bot_sessions,
        page_views,
        {{ signal_columns | join(',\n        ') }},
        cast(null as {{ dbt.type_bigint() }}) as distinct_users,
        cast(null as {{ double }}) as pages_per_session,
        cast(null as {{ double }}) as avg_scroll_depth,
        cast(null as {{ double }}) as avg_total_time_seconds,
        cast(null as {{ double }}) as avg_active_time_seconds,
        {{ no_errors | join(',\n        ') }}
    from {{ ref('int_nested_slice_metrics') }}

),

solved_periods as (

    select
        period_id,
        value_source,
        {{ dimension_columns | join(',\n        ') }},
        page_url,
        sessions,
        bot_sessions,
        page_views,
        {{ signal_columns | join(',\n        ') }},
        distinct_users,
        pages_per_session,
        avg_scroll_depth,
        avg_total_time_seconds,
        avg_active_time_seconds,
        {{ errors | join(',\n        ') }}
    from {{ ref('int_solved_period_metrics') }}

),

final as (

    select * from one_day_windows
    union all
    select * from nested_slices
    union all
    select * from solved_periods

)

select * from final
