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
