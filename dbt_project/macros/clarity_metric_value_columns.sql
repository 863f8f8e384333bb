{#- The raw metric_rows columns of the wire's counts (strings on the wire, bigint from staging
    on) and numbers (doubles), by kind, and the bounds of the percentages: what the warning test
    assert_raw_metric_values_are_usable checks. It copies the loader's kinds (KNOWN_KEYS in
    ingestion/load/parse.py), which tests/unit/test_contract_copies.py checks. -#}
{% macro clarity_metric_value_columns() -%}
    {{ return({
        'count': [
            'sessions_count', 'pages_views', 'sub_total', 'total_session_count',
            'total_bot_session_count', 'distinct_user_count', 'distant_user_count',
            'total_time', 'active_time', 'visits_count',
        ],
        'number': [
            'sessions_with_metric_percentage', 'sessions_without_metric_percentage',
            'average_scroll_depth', 'pages_per_session_percentage',
        ],
        'bounds': {
            'sessions_with_metric_percentage': [0, 100],
            'sessions_without_metric_percentage': [0, 100],
        },
    }) }}
{%- endmacro %}
