{#- A count the API sends as a string ("45") as a big integer. Blank, null or anything that is
    not only digits becomes null rather than failing the build on engines without try_cast;
    the loader records type surprises in metric_rows.nonconforming_values. Dispatched. The
    default is portable: trim/ltrim(text, characters) exist on DuckDB, PostgreSQL, Snowflake,
    BigQuery, Redshift. -#}
{% macro clarity_count_to_int(expression) -%}
    {{ return(adapter.dispatch('clarity_count_to_int', 'clarity')(expression)) }}
{%- endmacro %}

{% macro default__clarity_count_to_int(expression) -%}
    case
        when
            trim({{ expression }}) <> ''
            and ltrim(trim({{ expression }}), '0123456789') = ''
            then cast(trim({{ expression }}) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{#- Spark's two-argument ltrim takes the characters first: a digits-only match says the same. -#}
{% macro spark__clarity_count_to_int(expression) -%}
    case
        when trim({{ expression }}) rlike '^[0-9]+$'
            then cast(trim({{ expression }}) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}
