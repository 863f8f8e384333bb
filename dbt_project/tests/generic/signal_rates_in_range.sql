{% test signal_rates_in_range(model, suffixes) %}

    select *
    from {{ model }}
    where
        {%- for column in clarity_signal_columns(suffixes) %}
        ({{ column }} < 0 or {{ column }} > 1){{ ' or' if not loop.last }}
        {%- endfor %}

{% endtest %}
