{#- Fails with the rows for which the SQL boolean `expression` is not true (false or null):
    a row-level invariant stated once in YAML. -#}
{% test expression_is_true(model, expression) %}

    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)

{% endtest %}
