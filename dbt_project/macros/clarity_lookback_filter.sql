{% macro clarity_lookback_filter(date_column) -%}
    {%- set start = clarity_lookback_start(date_column) -%}
    {%- if start -%}
        {{ date_column }} >= {{ start }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{% macro clarity_lookback_start(date_column) -%}
    {#- named outside the branch, so that dbt records the dependency when it parses -#}
    {%- set solved = ref('int_solved_periods') -%}
    {%- if is_incremental() -%}
        {%- set lookback -%}
            (
                select cast({{ dbt.dateadd(
                    'day', -1 * var('clarity_lookback_days'), 'max(' ~ date_column ~ ')'
                ) }} as date)
                from {{ this }}
            )
        {%- endset -%}
        {#- a re-solve rewrites only the solver's blocks a new snapshot reaches: periods ending at
            most stride + look-ahead (28 days) before the newest window, so the dates from one day
            before the earliest solved period ending in the 29 days before the newest one are
            rebuilt too (ingestion/solve/incremental.py) -#}
        {%- set resolved -%}
            (
                select cast({{ dbt.dateadd('day', -1, 'min(recent.period_start_at)') }} as date)
                from {{ solved }} as recent
                where recent.period_end_at >= (
                    select {{ dbt.dateadd('day', -29, 'max(newest.period_end_at)') }}
                    from {{ solved }} as newest
                )
            )
        {%- endset -%}
        {#- the earlier of the two, either one when the other is null -#}
        {%- set start -%}
        coalesce(
            least(coalesce({{ lookback }}, {{ resolved }}), coalesce({{ resolved }}, {{ lookback }})),
            cast('1900-01-01' as date)
        )
        {%- endset -%}
        {{ return(start) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{%- endmacro %}


{% macro clarity_delete_lookback(date_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ date_column }} >= {{ clarity_lookback_start(date_column) }}
    {%- endif -%}
{%- endmacro %}


{% macro clarity_date_not_built(date_column) -%}
    {#- the pre-hook's bound reads the solved periods: named here, where dbt's parse sees it -#}
    {%- set solved = ref('int_solved_periods') -%}
    {%- if is_incremental() -%}
        {{ date_column }} > coalesce(
            (select max(built.{{ date_column }}) from {{ this }} as built),
            cast('1900-01-01' as date)
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
