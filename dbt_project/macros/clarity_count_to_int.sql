{% macro clarity_count_to_int(expression) -%}
    {{ return(adapter.dispatch('clarity_count_to_int', 'clarity')(expression)) }}
{%- endmacro %}

{% macro default__clarity_count_to_int(expression) -%}
    case
        when
            {{ expression }} <> ''
            and ltrim({{ expression }}, '0123456789') = ''
            and {{ clarity_int64_digits_fit("ltrim(" ~ expression ~ ", '0')") }}
            then cast({{ expression }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{% macro spark__clarity_count_to_int(expression) -%}
    case
        when
            {{ expression }} rlike '^[0-9]+$'
            and {{ clarity_int64_digits_fit(clarity_regexp_replace(expression, '^0+', '')) }}
            then cast({{ expression }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{% macro clarity_int64_digits_fit(digits) -%}
    (
        length({{ digits }}) < 19
        or (length({{ digits }}) = 19 and {{ digits }} <= '9223372036854775807')
    )
{%- endmacro %}
