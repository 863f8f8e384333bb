{% macro clarity_type_timestamp_tz() -%}
    {{ return(adapter.dispatch('clarity_type_timestamp_tz', 'clarity')()) }}
{%- endmacro %}

{% macro default__clarity_type_timestamp_tz() -%}
    {{ return('timestamp with time zone') }}
{%- endmacro %}

{% macro snowflake__clarity_type_timestamp_tz() -%}
    {{ return('timestamp_tz') }}
{%- endmacro %}

{% macro bigquery__clarity_type_timestamp_tz() -%}
    {{ return('timestamp') }}
{%- endmacro %}

{% macro spark__clarity_type_timestamp_tz() -%}
    {{ return('timestamp') }}
{%- endmacro %}
