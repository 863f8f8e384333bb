{#- The incremental window, held in one place. On an incremental run: a condition keeping the
    rows whose `date_column` is no older than the newest date already in the model minus
    var('clarity_lookback_days') days (a later snapshot can replace the choice for a recent
    day; older days are final). On a full refresh or first build: a condition that is always
    true. Pair it with unique_key = the (project, date) partition and `delete+insert`, so that a
    rebuilt day replaces all of that day's rows. -#}
{% macro clarity_lookback_filter(date_column) -%}
    {%- if is_incremental() -%}
        {{ date_column }} >= coalesce(
            (
                select cast({{ dbt.dateadd(
                    'day', -1 * var('clarity_lookback_days', 3), 'max(' ~ date_column ~ ')'
                ) }} as date)
                from {{ this }}
            ),
            cast('1900-01-01' as date)
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
