{%- set raw_table = clarity_raw_source('snapshots') -%}
{#- its columns, read once for every clarity_column_or_null below -#}
{%- set raw = clarity_columns_of(raw_table) -%}

with

source as (

    select * from {{ raw_table }}

),

renamed as (

    select
        -- ids
        snapshot_id,
        project,
        {{ clarity_column_or_null(raw, 'request_id', dbt.type_string()) }} as request_id,
        {{ clarity_column_or_null(raw, 'ingest_run_id', dbt.type_string()) }} as ingest_run_id,
        _dlt_load_id as dlt_load_id,

        -- request shape
        coalesce(dimensions, '') as dimensions,
        cast(num_of_days as {{ dbt.type_int() }}) as num_of_days,
        origin,

        -- response
        cast(http_status as {{ dbt.type_int() }}) as http_status,
        cast(block_count as {{ dbt.type_int() }}) as block_count,
        cast(row_count as {{ dbt.type_int() }}) as row_count,
        coalesce(possibly_truncated, false) as is_possibly_truncated,
        body_sha256,
        {{ clarity_column_or_null(raw, 'body_bytes', dbt.type_bigint()) }} as body_bytes,
        {{ clarity_column_or_null(raw, 'source_path', dbt.type_string()) }} as source_path,

        -- timestamps (UTC)
        fetched_at,
        window_start as window_start_at,
        window_end as window_end_at

    from source

)

select * from renamed
