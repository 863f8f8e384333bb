{#- A 64-bit float. dbt.type_float() renders `float`, which DuckDB reads as 32-bit REAL
    (15.56 would come back as 15.5600004), so percentages and averages use this instead. -#}
{% macro clarity_type_double() -%}
    {{ return(adapter.dispatch('clarity_type_double', 'clarity')()) }}
{%- endmacro %}

{% macro default__clarity_type_double() -%}
    {{ return('double precision') }}
{%- endmacro %}

{% macro bigquery__clarity_type_double() -%}
    {{ return('float64') }}
{%- endmacro %}

{% macro spark__clarity_type_double() -%}
    {{ return('double') }}
{%- endmacro %}
