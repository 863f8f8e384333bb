{%- set raw_table = clarity_raw_source('requests') -%}
{#- its columns, read once for every clarity_column_or_null below -#}
{%- set raw = clarity_columns_of(raw_table) -%}

with

source as (

    select * from {{ raw_table }}

),

renamed as (

    select
        -- ids
        request_id,
        {{ clarity_column_or_null(raw, 'ingest_run_id', dbt.type_string()) }} as ingest_run_id,
        project,
        {{ clarity_column_or_null(raw, 'snapshot_id', dbt.type_string()) }} as snapshot_id,
        _dlt_load_id as dlt_load_id,

        -- request
        {{ clarity_column_or_null(raw, 'parameters', dbt.type_string()) }} as query_string,
        {{ clarity_column_or_null(raw, 'num_of_days', dbt.type_int()) }} as num_of_days,
        coalesce(
            {{ clarity_column_or_null(raw, 'dimensions', dbt.type_string()) }}, ''
        ) as dimensions,
        {{ clarity_column_or_null(raw, 'attempt', dbt.type_int()) }} as attempt,
        {{ clarity_column_or_null(raw, 'origin', dbt.type_string()) }} as origin,

        -- outcome
        {{ clarity_column_or_null(raw, 'status', dbt.type_int()) }} as http_status,
        {{ clarity_column_or_null(raw, 'error_class', dbt.type_string()) }} as error_class,
        -- the loader masks secrets before it stores a message; rows of an older loader may not
        {{ clarity_mask_secret_params(
            clarity_column_or_null(raw, 'error_message', dbt.type_string())
        ) }} as error_message,
        coalesce(
            {{ clarity_column_or_null(raw, 'counted_against_quota', dbt.type_boolean()) }}, true
        ) as is_counted_against_quota,
        {{ clarity_column_or_null(raw, 'response_bytes', dbt.type_bigint()) }} as response_bytes,
        {{ clarity_column_or_null(raw, 'body_path', dbt.type_string()) }} as body_path,

        -- timestamps (UTC)
        requested_at,
        {{ clarity_column_or_null(raw, 'completed_at', clarity_type_timestamp_tz()) }}
            as completed_at

    from source

)

select * from renamed
