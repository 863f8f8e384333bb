{% macro clarity_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('clarity_utc_timestamp', 'clarity')(expression)) }}
{%- endmacro %}

{% macro default__clarity_utc_timestamp(expression) -%}
    ({{ expression }} at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__clarity_utc_timestamp(expression) -%}
    convert_timezone('UTC', {{ expression }})::timestamp_ntz
{%- endmacro %}

{% macro bigquery__clarity_utc_timestamp(expression) -%}
    datetime({{ expression }}, 'UTC')
{%- endmacro %}

{% macro spark__clarity_utc_timestamp(expression) -%}
    {{ expression }}
{%- endmacro %}
