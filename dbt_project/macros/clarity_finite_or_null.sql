{% macro clarity_finite_or_null(expression, min_value=none, max_value=none) -%}
    {{ return(adapter.dispatch('clarity_finite_or_null', 'clarity')(
        expression, min_value, max_value
    )) }}
{%- endmacro %}

{% macro default__clarity_finite_or_null(expression, min_value=none, max_value=none) -%}
    case
        when
            {{ expression }} > cast('-Infinity' as {{ clarity_type_double() }})
            and {{ expression }} < cast('Infinity' as {{ clarity_type_double() }})
            {%- if min_value is not none %}
            and {{ expression }} >= {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
            and {{ expression }} <= {{ max_value }}
            {%- endif %}
            then {{ expression }}
    end
{%- endmacro %}
