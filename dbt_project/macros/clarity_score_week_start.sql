{% macro clarity_score_week_start(date_expression) -%}
    {{ return(adapter.dispatch('clarity_score_week_start', 'clarity')(date_expression)) }}
{%- endmacro %}

{% macro default__clarity_score_week_start(date_expression) -%}
    cast({{ dbt.date_trunc('week', date_expression) }} as date)
{%- endmacro %}

{% macro bigquery__clarity_score_week_start(date_expression) -%}
    date_trunc(cast({{ date_expression }} as date), isoweek)
{%- endmacro %}
