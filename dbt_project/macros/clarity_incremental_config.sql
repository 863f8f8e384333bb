{% macro clarity_incremental_config(unique_key, append_only=false) -%}
    {{ return(adapter.dispatch('clarity_incremental_config', 'clarity')(unique_key, append_only)) }}
{%- endmacro %}

{% macro default__clarity_incremental_config(unique_key, append_only) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{% macro spark__clarity_incremental_config(unique_key, append_only) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if append_only -%}
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
