{% macro clarity_score(rate, weights='weights', signal_column=none) -%}
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
