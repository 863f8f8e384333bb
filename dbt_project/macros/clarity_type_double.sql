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
