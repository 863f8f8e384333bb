{% test signal_counts_consistent(model, with_rates=true) %}

    {%- set checks = [] -%}
    {%- for signal in clarity_signals() -%}
        {%- set base = signal.key ~ '_base_sessions' -%}
        {%- set with_signal = signal.key ~ '_sessions' -%}
        {%- do checks.append(base ~ ' is null or ' ~ base ~ ' < 0') -%}
        {%- do checks.append(with_signal ~ ' is null or ' ~ with_signal ~ ' < 0') -%}
        {%- do checks.append(with_signal ~ ' > ' ~ base) -%}
        {%- if with_rates -%}
            {%- set rate = signal.key ~ '_rate' -%}
            {%- do checks.append(rate ~ ' < 0 or ' ~ rate ~ ' > 1') -%}
            {%- do checks.append('(' ~ rate ~ ' is null) <> (' ~ base ~ ' = 0)') -%}
            {%- do checks.append(
                'abs(' ~ rate ~ ' - ' ~ clarity_safe_divide(with_signal, base) ~ ') > 1e-9'
            ) -%}
        {%- endif -%}
    {%- endfor %}

    select *
    from {{ model }}
    where
        {%- for check in checks %}
        ({{ check }}){{ ' or' if not loop.last }}
        {%- endfor %}

{% endtest %}
