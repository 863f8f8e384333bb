{#- Wall-clock time in a project's time zone, and back. `timezone` is an SQL expression giving an
    IANA name (a column of int_project_timezones, usually). Dispatched: `at time zone` means the
    same on DuckDB and PostgreSQL (aware -> local wall time, local wall time -> aware).

    clarity_local_timestamp(aware_utc, tz): the naive local wall time of an aware timestamp.
    clarity_local_day_start_utc(date, tz): the naive UTC instant at which a local calendar date
    begins (the end of date D is the start of D + 1: 23 or 25 hours later on a DST change). -#}
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
