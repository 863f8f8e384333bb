{#- The double `expression` when it is a finite number (and, given bounds, within
    [min_value, max_value]), else null: NaN, Infinity and -Infinity (which an older loader, or
    another tool, may have stored in a raw double column) and a percentage outside 0..100 never
    reach a model, where a range test or a sum would trip over them. Dispatched; the default is
    portable: DuckDB, PostgreSQL and Spark order NaN above Infinity (and on engines where any
    comparison with NaN is false it is excluded all the same), so one pair of comparisons
    excludes all three. -#}
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
