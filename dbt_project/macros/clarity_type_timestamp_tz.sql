{#- The engine's name for a UTC-aware timestamp (dbt.type_timestamp() is naive on some engines,
    and casting an aware timestamp to it shifts it into the session time zone on DuckDB). -#}
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

{#- Spark's TIMESTAMP is an instant (shown in the session's zone), as dlt's Parquet stores it. -#}
{% macro spark__clarity_type_timestamp_tz() -%}
    {{ return('timestamp') }}
{%- endmacro %}
