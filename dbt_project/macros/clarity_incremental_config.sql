{#- The config of an incremental model, per engine: `{{ config(**clarity_incremental_config(
    unique_key)) }}`. Two kinds, both replacing whole keys:
    - `unique_key` a list, e.g. ['project', 'activity_date']: each run rebuilds the keys it
      selects (the lookback window of clarity_lookback_filter), replacing every old row of a
      rebuilt key, so a row that vanished from a key does not linger (delete+insert);
    - `append_only=true`: each run adds rows of keys never seen before (a new snapshot's pivot),
      nothing old changes.
    Dispatched: DuckDB and PostgreSQL use delete+insert for both. -#}
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

{#- Spark with Parquet tables has no delete (and merge needs Delta or Iceberg jars): a key
    rebuilt whole is a table partition overwritten in place (insert_overwrite, dynamic partition
    overwrite: only the partitions the run writes are replaced, exactly the keys delete+insert
    would delete), and new keys are appended. Spark puts partition columns last in a table. -#}
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
