{% macro clarity_score(rate, weights='weights', signal_column=none) -%}
    {#- each signal's term in the contract's order, never sum(): the same additions in the same
        order on every engine, so equal pages get equal scores and ranks break ties alike -#}
    100.0 * (
        {%- for signal in clarity_signals() %}
        {%- if signal_column is none %}
        {{ weights }}.{{ signal.key }}_weight * {{ rate | replace('{signal}', signal.key) }}
        {%- else %}
        max({{ weights }}.{{ signal.key }}_weight)
        * max(case when {{ signal_column }} = '{{ signal.key }}' then {{ rate }} end)
        {%- endif %}
        {{- ' +' if not loop.last }}
        {%- endfor %}
    ) / nullif(
        {%- if signal_column is none %} {{ weights }}.total_weight
        {%- else %} max({{ weights }}.total_weight)
        {%- endif %}, 0)
{%- endmacro %}
