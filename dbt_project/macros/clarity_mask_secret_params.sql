{#- The URL text `expression` with the value of every secret-looking query parameter replaced
    by `***` (`?token=abc&lang=en` -> `?token=***&lang=en`). Parameter names come from
    var('clarity_secret_params'), matched case-insensitively after `?`, `&` or `#` (OAuth puts
    `access_token` in the fragment). Portable through clarity_regexp_replace (flags 'gi', a
    `\1` back-reference). -#}
{% macro clarity_mask_secret_params(expression) -%}
    {%- set names = var('clarity_secret_params', [
        'token', 'code', 'key', 'apikey', 'api_key', 'password', 'pwd', 'secret', 'session',
        'sessionid', 'auth', 'access_token', 'sig'
    ]) -%}
    {%- if names | length == 0 -%}
        {{ expression }}
    {%- else -%}
        {%- set escaped = [] -%}
        {%- for name in names -%}
            {%- if not modules.re.match('^[A-Za-z0-9_.-]+$', name) -%}
                {{ exceptions.raise_compiler_error(
                    "clarity_secret_params: '" ~ name ~ "' is not a plain parameter name"
                ) }}
            {%- endif -%}
            {%- do escaped.append(name | replace('.', '[.]')) -%}
        {%- endfor -%}
        {{ clarity_regexp_replace(
            expression, '([?&#](' ~ (escaped | join('|')) ~ ')=)[^&#]*', '\\1***', 'gi'
        ) }}
    {%- endif -%}
{%- endmacro %}
