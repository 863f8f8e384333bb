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


{% macro clarity_signal_columns(suffixes, prefix='') -%}
    {%- set columns = [] -%}
    {%- for signal in clarity_signals() -%}
        {%- for suffix in suffixes -%}
            {%- do columns.append(prefix ~ signal.key ~ '_' ~ suffix) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro clarity_pivot_signals(
    columns=none, relation='', signal_column=none, match='key', aggregate='max'
) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {%- set signal_column = signal_column or prefix ~ 'signal' -%}
    {%- if columns is none -%}
        {%- set columns = {
            'base_sessions': prefix ~ 'base_sessions',
            'sessions': prefix ~ 'sessions_with_signal',
            'rate': clarity_safe_divide(
                prefix ~ 'sessions_with_signal', prefix ~ 'base_sessions'
            ),
        } -%}
    {%- endif -%}
    {%- set rendered = [] -%}
    {%- for signal in clarity_signals() -%}
        {%- for suffix, expression in columns.items() -%}
            {%- do rendered.append(
                aggregate ~ "(\n            case\n                when " ~ signal_column ~ " = '"
                ~ signal[match] ~ "'\n                    then " ~ expression
                ~ "\n            end\n        ) as " ~ signal.key ~ "_" ~ suffix
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ rendered | join(',\n        ') }}
{%- endmacro %}
