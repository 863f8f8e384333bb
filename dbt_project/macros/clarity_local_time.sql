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

{#- Spark has no `at time zone`. from_utc_timestamp(instant, zone) gives the zone's wall time
    encoded as if it were UTC, whatever the session's zone; those microseconds added to the
    naive epoch make it a TIMESTAMP_NTZ, whose cast to a date ignores the session's zone. -#}
{% macro spark__clarity_local_timestamp(expression, timezone) -%}
    timestampadd(
        microsecond,
        unix_micros(from_utc_timestamp({{ expression }}, {{ timezone }})),
        timestamp_ntz '1970-01-01 00:00:00'
    )
{%- endmacro %}

{#- Spark: the instant (a TIMESTAMP, like spark__clarity_utc_timestamp) of the local midnight
    that begins the date in the zone; make_timestamp resolves it in the zone given, not the
    session's. -#}
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
