{% macro clarity_safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ clarity_type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
