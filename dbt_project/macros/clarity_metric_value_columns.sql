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
