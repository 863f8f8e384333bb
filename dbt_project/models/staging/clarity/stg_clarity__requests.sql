{%- set raw = source('clarity_raw', 'requests') -%}
{#- the raw table's columns, read once for every clarity_column_or_null below -#}
{%- set raw_columns = clarity_columns_of(raw) -%}

with

source as (

    select * from {{ raw }}

),

renamed as (

    select
        -- ids
        request_id,
        {{ clarity_column_or_null(raw_columns, 'ingest_run_id', dbt.type_string()) }} as ingest_run_id,
        project,
        {{ clarity_column_or_null(raw_columns, 'snapshot_id', dbt.type_string()) }} as snapshot_id,
        _dlt_load_id as dlt_load_id,

        -- request
        {{ clarity_column_or_null(raw_columns, 'parameters', dbt.type_string()) }} as query_string,
        {{ clarity_column_or_null(raw_columns, 'num_of_days', dbt.type_int()) }} as num_of_days,
        coalesce(
            {{ clarity_column_or_null(raw_columns, 'dimensions', dbt.type_string()) }}, ''
        ) as dimensions,
        {{ clarity_column_or_null(raw_columns, 'attempt', dbt.type_int()) }} as attempt,
        {{ clarity_column_or_null(raw_columns, 'origin', dbt.type_string()) }} as origin,

        -- outcome
        {{ clarity_column_or_null(raw_columns, 'status', dbt.type_int()) }} as http_status,
        {{ clarity_column_or_null(raw_columns, 'error_class', dbt.type_string()) }} as error_class,
        {{ clarity_column_or_null(raw_columns, 'error_message', dbt.type_string()) }} as error_message,
        coalesce(
            {{ clarity_column_or_null(raw_columns, 'counted_against_quota', dbt.type_boolean()) }}, true
        ) as is_counted_against_quota,
        {{ clarity_column_or_null(raw_columns, 'response_bytes', dbt.type_bigint()) }} as response_bytes,
        {{ clarity_column_or_null(raw_columns, 'body_path', dbt.type_string()) }} as body_path,

        -- timestamps (UTC)
        requested_at,
        {{ clarity_column_or_null(raw_columns, 'completed_at', clarity_type_timestamp_tz()) }}
            as completed_at

    from source

)

select * from renamed
