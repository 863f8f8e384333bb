{% macro clarity_local_timestamp(expression, timezone) -%}
    {{ return(adapter.dispatch('clarity_local_timestamp', 'clarity')(expression, timezone)) }}
{%- endmacro %}

{% macro default__clarity_local_timestamp(expression, timezone) -%}
    ({{ expression }} at time zone {{ timezone }})
{%- endmacro %}

{% macro clarity_local_day_start_utc(date_expression, timezone) -%}
    {{ return(adapter.dispatch('clarity_local_day_start_utc', 'clarity')(date_expression, timezone)) }}
{%- endmacro %}

{% macro default__clarity_local_day_start_utc(date_expression, timezone) -%}
    {{ clarity_utc_timestamp(
        '(cast(' ~ date_expression ~ ' as ' ~ dbt.type_timestamp() ~ ') at time zone '
        ~ timezone ~ ')'
    ) }}
{%- endmacro %}

{% macro spark__clarity_local_timestamp(expression, timezone) -%}
    timestampadd(
        microsecond,
        unix_micros(from_utc_timestamp({{ expression }}, {{ timezone }})),
        timestamp_ntz '1970-01-01 00:00:00'
    )
{%- endmacro %}

{% macro spark__clarity_local_day_start_utc(date_expression, timezone) -%}
    make_timestamp(
        year({{ date_expression }}),
        month({{ date_expression }}),
        day({{ date_expression }}),
        0,
        0,
        0,
        {{ timezone }}
    )
{%- endmacro %}
