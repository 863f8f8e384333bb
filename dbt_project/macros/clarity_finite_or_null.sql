{#- The double `expression` when it is a finite number, else null: NaN, Infinity and -Infinity
    (which an older loader, or another tool, may have stored in a raw double column) never reach
    a model, where a range test or a sum would trip over them. Dispatched; the default is
    portable: DuckDB, PostgreSQL and Spark order NaN above Infinity (and on engines where any
    comparison with NaN is false it is excluded all the same), so one pair of comparisons
    excludes all three. -#}
{% macro clarity_finite_or_null(expression) -%}
    {{ return(adapter.dispatch('clarity_finite_or_null', 'clarity')(expression)) }}
{%- endmacro %}

{% macro default__clarity_finite_or_null(expression) -%}
    case
        when
            {{ expression }} > cast('-Infinity' as {{ clarity_type_double() }})
            and {{ expression }} < cast('Infinity' as {{ clarity_type_double() }})
            then {{ expression }}
    end
{%- endmacro %}
