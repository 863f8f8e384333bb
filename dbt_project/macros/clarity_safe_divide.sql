{#- numerator / denominator as a 64-bit float, null when the denominator is 0 or null
    (casting first: on PostgreSQL bigint / bigint would truncate to an integer). -#}
{% macro clarity_safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ clarity_type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
