{#- A count the API sends as a string ("45") as a big integer, or null when the string is not a
    plain count: ASCII digits only (no sign, blank, padding, decimal point or exponent) and at
    most 2^63 - 1 (a 23-digit count would not fit a bigint). The same rule as the loader's
    (ingestion/load/parse.py), which keeps such a string as received and records it in
    metric_rows.nonconforming_values. Never fails the build, without engine-only try_cast: the
    cast runs only on strings that pass. Dispatched: the default uses ltrim(text, characters)
    (DuckDB, PostgreSQL, Snowflake, BigQuery, Redshift). -#}
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

{#- Spark's two-argument ltrim takes the characters first: a digits-only match says the same. -#}
{% macro spark__clarity_count_to_int(expression) -%}
    case
        when
            {{ expression }} rlike '^[0-9]+$'
            and {{ clarity_int64_digits_fit(clarity_regexp_replace(expression, '^0+', '')) }}
            then cast({{ expression }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{#- Whether `digits`, ASCII digits without leading zeros, is at most 2^63 - 1: fewer than 19
    digits, or 19 that sort at or below 9223372036854775807 (of equal length, text order is
    number order). Comparisons only: nothing here can fail on a long string. -#}
{% macro clarity_int64_digits_fit(digits) -%}
    (
        length({{ digits }}) < 19
        or (length({{ digits }}) = 19 and {{ digits }} <= '9223372036854775807')
    )
{%- endmacro %}
