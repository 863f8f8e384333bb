{#- regexp_replace(expression, pattern, replacement[, flags]) with one meaning on every engine.
    `pattern` and `replacement` are plain texts (quoted here, so they must not hold a quote),
    a group written `\1` in the replacement; `flags`: 'g' replaces every match (else the first
    only), 'i' ignores case. Dispatched: DuckDB and PostgreSQL take it as written. -#}
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

{#- Spark (Java regular expressions) always replaces every match, takes `$1` for a group and
    `(?i)` for the case; a pattern meant to replace its first match only must be anchored (^ or
    $), so that it matches at most once. -#}
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
