{#- z statistic of the alert rule (docs block clarity_alert_rule): a two-proportion z-test on
    the variance-stabilised scale, 2 x (asin(sqrt(p_day)) - asin(sqrt(p_base))) divided by
    sqrt(1 / n_day + 1 / n_base), with Anscombe's proportions p = (x + 3/8) / (n + 3/4).
    Positive when the day's rate is above the baseline's. Call it only where 0 <= x <= n and
    n > 0 (guard with a case); asin, sqrt and nullif are portable. -#}
{% macro clarity_alert_z(day_with, day_sessions, baseline_with, baseline_sessions) -%}
    2.0 * (
        asin(sqrt(
            (cast({{ day_with }} as {{ clarity_type_double() }}) + 0.375)
            / (cast({{ day_sessions }} as {{ clarity_type_double() }}) + 0.75)
        ))
        - asin(sqrt(
            (cast({{ baseline_with }} as {{ clarity_type_double() }}) + 0.375)
            / (cast({{ baseline_sessions }} as {{ clarity_type_double() }}) + 0.75)
        ))
    ) / sqrt(
        1.0 / nullif(cast({{ day_sessions }} as {{ clarity_type_double() }}), 0)
        + 1.0 / nullif(cast({{ baseline_sessions }} as {{ clarity_type_double() }}), 0)
    )
{%- endmacro %}
