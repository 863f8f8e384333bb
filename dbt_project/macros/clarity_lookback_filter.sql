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
