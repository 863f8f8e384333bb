{% macro clarity_regexp_replace(expression, pattern, replacement, flags='') -%}
    {%- if "'" in pattern or "'" in replacement -%}
        {{ exceptions.raise_compiler_error(
            'clarity_regexp_replace: no quotes in a pattern or replacement: ' ~ pattern
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('clarity_regexp_replace', 'clarity')(
        expression, pattern, replacement, flags
    )) }}
{%- endmacro %}

{% macro default__clarity_regexp_replace(expression, pattern, replacement, flags) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}'
    {%- if flags %}, '{{ flags }}'{% endif %})
{%- endmacro %}

{% macro spark__clarity_regexp_replace(expression, pattern, replacement, flags) -%}
    {%- if 'g' not in flags and not (pattern.startswith('^') or pattern.endswith('$')) -%}
        {{ exceptions.raise_compiler_error(
            'clarity_regexp_replace: on Spark a first-match-only pattern must be anchored: '
            ~ pattern
        ) }}
    {%- endif -%}
    {%- set java_pattern = ('(?i)' if 'i' in flags else '') ~ pattern -%}
    {%- set java_replacement = modules.re.sub('\\\\([0-9])', '$\\1', replacement) -%}
    regexp_replace({{ expression }}, '{{ java_pattern }}', '{{ java_replacement }}')
{%- endmacro %}
