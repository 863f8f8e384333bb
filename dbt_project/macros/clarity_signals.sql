{#- The six frustration signals, in wire order: `key` is the column prefix used everywhere
    downstream (`<key>_base_sessions`, `<key>_sessions`, `<key>_rate`), `block` the API's
    metricName. The one list every model and test loops over; it copies the loader's
    ingestion/api/contract.py (SIGNALS), which tests/unit/test_contract_copies.py checks. -#}
{% macro clarity_signals() -%}
    {{ return([
        {'key': 'dead_click', 'block': 'DeadClickCount'},
        {'key': 'excessive_scroll', 'block': 'ExcessiveScroll'},
        {'key': 'rage_click', 'block': 'RageClickCount'},
        {'key': 'quick_back', 'block': 'QuickbackClick'},
        {'key': 'script_error', 'block': 'ScriptErrorCount'},
        {'key': 'error_click', 'block': 'ErrorClickCount'},
    ]) }}
{%- endmacro %}
