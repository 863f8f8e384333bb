{#- The names of secret-looking parameters, as {words: [...], endings: [...]} (see
    clarity_secret_name_pattern), from var('clarity_secret_params'). The default copies the
    loader's ingestion/api/secrets.py (SECRET_NAME_WORDS, SECRET_NAME_ENDINGS), which
    tests/unit/test_contract_copies.py checks. -#}
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


{#- A regular expression (no quote, no backslash: usable in SQL on every engine) of a secret
    parameter name made of `name_char` characters: one that contains a word of
    clarity_secret_params, or one of whose parts (the pieces between `-`, `_` and `.`) ends with
    one of its endings (`x-api-key`, but not `keyword`). The loader builds the same one
    (ingestion/api/secrets.py, secret_name_pattern). -#}
{% macro clarity_secret_name_pattern(name_char) -%}
    {%- set names = clarity_secret_params() -%}
    {%- set name = name_char ~ '*' -%}
    {%- set words = names.get('words', []) | map('lower') | join('|') -%}
    {%- set endings = names.get('endings', []) | map('lower') | join('|') -%}
    {{ return('(' ~ name ~ '(' ~ words ~ ')' ~ name ~ '|' ~ name ~ '(' ~ endings ~ ')([-_.]'
        ~ name ~ ')?)') }}
{%- endmacro %}


{#- The URL text `expression` with the value of every secret-looking parameter (names:
    clarity_secret_params) replaced by `***`, case-insensitively, in every form:
      after `?`, `&` or `#` (OAuth puts `access_token` in the fragment), the value running to
      the next `&` or `#`; percent-encoded (`%3Ftoken%3D...`, `%26password%3D...`, encoded once
      or more) and HTML-escaped (`&amp;password=...`) the same way;
      after `;` (path parameters `/cart;jsessionid=...`), the value running to the next `;`,
      `/`, `?`, `#` or `&`;
      user info: `https://user:pass@host/` -> `https://***@host/`.
    Masking twice changes nothing. The loader masks its messages with the same rule
    (ingestion/api/secrets.py); assert_secret_masking_cases checks this macro on every engine.
    Portable through clarity_regexp_replace (flags 'gi', a `\1` back-reference). -#}
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
