{% macro clarity_html_unescape(expression) -%}
    {#- the entities page titles carry (`Tea &amp; Cake`), each replaced by an SQL expression
        (the apostrophe as chr(39): engines quote quotes differently); `&amp;` last, so that
        `&amp;lt;` reads `&lt;` and is not decoded twice -#}
    {%- set entities = [
        ('&lt;', "'<'"), ('&gt;', "'>'"), ('&quot;', "'\"'"), ('&#34;', "'\"'"),
        ('&#39;', 'chr(39)'), ('&#039;', 'chr(39)'), ('&#x27;', 'chr(39)'),
        ('&apos;', 'chr(39)'), ('&nbsp;', "' '"), ('&#160;', "' '"), ('&amp;', "'&'"),
    ] -%}
    {%- set decoded = namespace(sql=expression) -%}
    {%- for entity, text in entities -%}
        {%- set decoded.sql = "replace(" ~ decoded.sql ~ ", '" ~ entity ~ "', " ~ text ~ ")" -%}
    {%- endfor -%}
    {{ decoded.sql }}
{%- endmacro %}
