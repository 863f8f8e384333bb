{% macro clarity_score_weights() -%}
    select
        {%- for signal in clarity_signals() | map(attribute='key') %}
        max(
            case when signal = '{{ signal }}' then cast(weight as {{ clarity_type_double() }}) end
        ) as {{ signal }}_weight,
        {%- endfor %}
        sum(cast(weight as {{ clarity_type_double() }})) as total_weight
    from {{ ref('clarity_signal_weights') }}
{%- endmacro %}
