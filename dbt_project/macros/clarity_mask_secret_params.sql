{% macro clarity_secret_params() -%}
    {%- set names = var('clarity_secret_params', {
        'words': [
            'token', 'secret', 'passw', 'passphrase', 'pwd', 'sess', 'signature', 'credential',
            'authoriz', 'apikey', 'jwt',
        ],
        'endings': ['key', 'sig', 'auth', 'code', 'pass', 'pin', 'otp', 'sid', 'hash', 'ticket'],
    }) -%}
    {%- if names is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "clarity_secret_params is {words: [...], endings: [...]}: a name is secret when it "
            ~ "contains one of the words, or one of its parts ends with one of the endings"
        ) }}
    {%- endif -%}
    {%- for name in names.get('words', []) + names.get('endings', []) -%}
        {%- if not modules.re.match('^[A-Za-z0-9]+$', name) -%}
            {{ exceptions.raise_compiler_error(
                "clarity_secret_params: '" ~ name ~ "' is not letters and digits"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{% macro clarity_secret_name_pattern(name_char) -%}
    {%- set names = clarity_secret_params() -%}
    {%- set name = name_char ~ '*' -%}
    {%- set words = names.get('words', []) | map('lower') | join('|') -%}
    {%- set endings = names.get('endings', []) | map('lower') | join('|') -%}
    {{ return('(' ~ name ~ '(' ~ words ~ ')' ~ name ~ '|' ~ name ~ '(' ~ endings ~ ')([-_.]'
        ~ name ~ ')?)') }}
{%- endmacro %}


{% macro clarity_mask_secret_params(expression) -%}
    {%- set name = clarity_secret_name_pattern('[^=&;#?/%]') -%}
    {%- set equals = '(=|%(25)*3d)' -%}
    {%- set query_start = '([?&#]|&amp;|%(25)*(3f|26|23|3b))' -%}
    {%- set query_masked = clarity_regexp_replace(
        expression, '(' ~ query_start ~ name ~ equals ~ ')[^&#]*', '\\1***', 'gi'
    ) -%}
    {%- set path_masked = clarity_regexp_replace(
        query_masked, '(;' ~ name ~ equals ~ ')[^;/?#&]*', '\\1***', 'gi'
    ) -%}
    {{ clarity_regexp_replace(path_masked, '([a-z][a-z0-9+.-]*://)[^/?#]*@', '\\1***@', 'gi') }}
{%- endmacro %}
