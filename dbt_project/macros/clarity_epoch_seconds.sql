{% macro clarity_epoch_seconds(expression) -%}
    {{ return(adapter.dispatch('clarity_epoch_seconds', 'clarity')(expression)) }}
{%- endmacro %}

{% macro default__clarity_epoch_seconds(expression) -%}
    cast(extract(epoch from {{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro spark__clarity_epoch_seconds(expression) -%}
    unix_timestamp({{ expression }})
{%- endmacro %}
