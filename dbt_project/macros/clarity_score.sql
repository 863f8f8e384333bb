{#- The frustration score (0..100) of six signal rates: 100 x the weighted mean of the rates,
    weights from clarity_score_weights(). `rate` is a SQL template in which `{signal}` stands
    for the signal key, e.g. 'shrunk_{signal}_rate_7d'; `weights` is the alias of the weights
    row. See the docs block clarity_frustration_score. -#}
{% macro clarity_score(rate, weights='weights') -%}
    100.0 * (
        {%- for signal in clarity_signals() | map(attribute='key') %}
        {{ weights }}.{{ signal }}_weight * {{ rate | replace('{signal}', signal) }}
        {{- ' +' if not loop.last }}
        {%- endfor %}
    ) / nullif({{ weights }}.total_weight, 0)
{%- endmacro %}
