{% macro clarity_incremental_config(
    unique_key, append_only=false, delete_lookback_of=none, whole_table_on_spark=false
) -%}
    {{ return(adapter.dispatch('clarity_incremental_config', 'clarity')(
        unique_key, append_only, delete_lookback_of, whole_table_on_spark
    )) }}
{%- endmacro %}

{% macro default__clarity_incremental_config(
    unique_key, append_only, delete_lookback_of, whole_table_on_spark
) -%}
    {%- set config = {
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'fail',
    } -%}
    {%- if delete_lookback_of -%}
        {#- a hook is rendered when it runs: the text keeps its braces until then -#}
        {%- do config.update({
            'pre_hook': "{{ clarity_delete_lookback('" ~ delete_lookback_of ~ "') }}",
        }) -%}
    {%- endif -%}
    {{ return(config) }}
{%- endmacro %}

{% macro spark__clarity_incremental_config(
    unique_key, append_only, delete_lookback_of, whole_table_on_spark
) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if delete_lookback_of or whole_table_on_spark -%}
        {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
    {%- elif append_only -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'append',
            'unique_key': unique_key,
            'file_format': 'parquet',
            'on_schema_change': 'fail',
        }) }}
    {%- else -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'insert_overwrite',
            'unique_key': unique_key,
            'partition_by': keys,
            'file_format': 'parquet',
            'on_schema_change': 'fail',
        }) }}
    {%- endif -%}
{%- endmacro %}
