{% macro clarity_normalize_url(expression) -%}
    {%- set tracking = [
        'gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'yclid', 'twclid', 'ttclid',
        'li_fat_id', 'igshid', 'mc_cid', 'mc_eid', '_ga', '_gl', '_hsenc', '_hsmi'
    ] -%}
    {%- set secret = '^' ~ clarity_secret_name_pattern('[^=&;#?/%]') ~ '$' -%}
    {%- set keep = [] -%}
    {%- for name in var('clarity_url_keep_params', []) -%}
        {%- if not modules.re.match('^[A-Za-z0-9_.-]+$', name) -%}
            {{ exceptions.raise_compiler_error(
                "clarity_url_keep_params: '" ~ name ~ "' is not a plain parameter name"
            ) }}
        {%- endif -%}
        {%- set lowered = name | lower -%}
        {%- if not lowered.startswith('utm_') and lowered not in tracking
            and not modules.re.match(secret, lowered) -%}
            {%- do keep.append(name) -%}
        {%- endif -%}
    {%- endfor -%}

    {#- the pieces, each an SQL expression built on the previous ones -#}
    {%- set no_fragment = "split_part(trim(" ~ expression ~ "), '#', 1)" -%}
    {%- set base = "split_part(" ~ no_fragment ~ ", '?', 1)" -%}
    {%- set scheme = "lower(split_part(" ~ base ~ ", '://', 1))" -%}
    {%- set after_scheme = clarity_regexp_replace(base, '^[^/?#]*://', '') -%}
    {%- set host_port = "lower(" ~ clarity_regexp_replace(
        "split_part(" ~ after_scheme ~ ", '/', 1)", '^.*@', ''
    ) ~ ")" -%}
    {#- path parameters dropped from the path (`/cart;jsessionid=***` is `/cart`) -#}
    {%- set path = clarity_regexp_replace(
        clarity_regexp_replace(after_scheme, '^[^/]*', ''), ';[^/]*', '', 'g'
    ) -%}
    {%- set bare_path = clarity_regexp_replace(base, ';[^/]*', '', 'g') -%}

    {%- set folded_path = "coalesce(nullif(" ~ clarity_regexp_replace(
        clarity_regexp_replace(path, '/index[.]html$', '/'), '/+$', ''
    ) ~ ", ''), '/')" -%}
    {%- set folded_base = "coalesce(nullif(" ~ clarity_regexp_replace(
        clarity_regexp_replace(bare_path, '/index[.]html$', '/'), '/+$', ''
    ) ~ ", ''), '/')" -%}

    {#- kept parameters: `&name=value` for each kept name present (last occurrence wins) -#}
    {%- if keep | length == 0 -%}
        {%- set query = "''" -%}
    {%- else -%}
        {%- set params =
            "('&' || " ~ clarity_regexp_replace(no_fragment, '^[^?]*[?]?', '') ~ ")" -%}
        {%- set parts = [] -%}
        {%- for name in keep -%}
            {%- do parts.append(
                "case when position('&" ~ name ~ "=' in " ~ params ~ ") > 0 then '&" ~ name
                ~ "=' || " ~ clarity_regexp_replace(
                    params, '^.*&' ~ (name | replace('.', '[.]')) ~ '=([^&]*).*$', '\\1'
                ) ~ " else '' end"
            ) -%}
        {%- endfor -%}
        {%- set kept = clarity_regexp_replace(parts | join(' || '), '^&+', '') -%}
        {%- set query = "case when " ~ kept ~ " = '' then '' else '?' || " ~ kept ~ " end" -%}
    {%- endif %}

    case
        when position('://' in {{ base }}) = 0 then {{ folded_base }}
        else
            {{ scheme }} || '://'
            || case
                when {{ scheme }} = 'http'
                    then {{ clarity_regexp_replace(host_port, ':(80)?$', '') }}
                when {{ scheme }} = 'https'
                    then {{ clarity_regexp_replace(host_port, ':(443)?$', '') }}
                else {{ clarity_regexp_replace(host_port, ':$', '') }}
            end
            || {{ folded_path }}
            || {{ query }}
    end
{%- endmacro %}
