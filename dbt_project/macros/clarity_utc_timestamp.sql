{#- A UTC-aware timestamp as a naive timestamp in UTC, so that dates and day boundaries are
    UTC whatever the session time zone (casting timestamptz to date or to a naive timestamp
    uses the session's zone on DuckDB and PostgreSQL). Dispatched. -#}
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

{#- Spark: a TIMESTAMP already is an instant, and comparisons and differences of instants
    (dbt.datediff) do not depend on the session's zone, so it stays one; a naive timestamp there
    would be read back through the session's zone by dbt.datediff. Dates come from
    clarity_local_timestamp, never from a cast of this. -#}
{% macro spark__clarity_utc_timestamp(expression) -%}
    {{ expression }}
{%- endmacro %}
