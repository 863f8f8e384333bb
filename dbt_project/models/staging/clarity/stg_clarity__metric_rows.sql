{%- set raw_table = clarity_raw_source('metric_rows') -%}
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
        metric_name,
        cast(block_index as {{ dbt.type_int() }}) as block_index,
        cast(row_index as {{ dbt.type_int() }}) as row_index,

        -- dimensions (null when not requested); secret-looking query values masked
        {{ clarity_mask_secret_params(
            clarity_column_or_null(raw, 'url', dbt.type_string())
        ) }} as page_url_raw,
        {{ clarity_column_or_null(raw, 'device', dbt.type_string()) }} as device,
        {{ clarity_column_or_null(raw, 'browser', dbt.type_string()) }} as browser,
        {{ clarity_column_or_null(raw, 'os', dbt.type_string()) }} as os,
        {{ clarity_column_or_null(raw, 'country', dbt.type_string()) }} as country,
        {{ clarity_column_or_null(raw, 'source', dbt.type_string()) }} as source,
        {{ clarity_column_or_null(raw, 'medium', dbt.type_string()) }} as medium,
        {{ clarity_column_or_null(raw, 'campaign', dbt.type_string()) }} as campaign,
        {{ clarity_column_or_null(raw, 'channel', dbt.type_string()) }} as channel,
        {{ clarity_mask_secret_params(
            clarity_column_or_null(raw, 'name', dbt.type_string())
        ) }} as item_name,

        -- frustration blocks (counts that are not plain int64 digit strings and numbers
        -- that are not finite are null: assert_raw_metric_values_are_usable counts them)
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'sessions_count', dbt.type_string())
        ) }} as sessions_count,
        {{ clarity_finite_or_null(clarity_column_or_null(
            raw, 'sessions_with_metric_percentage', clarity_type_double()
        ), 0, 100) }} as sessions_with_metric_pct,
        {{ clarity_finite_or_null(clarity_column_or_null(
            raw, 'sessions_without_metric_percentage', clarity_type_double()
        ), 0, 100) }} as sessions_without_metric_pct,
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'pages_views', dbt.type_string())
        ) }} as pages_views,
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'sub_total', dbt.type_string())
        ) }} as sub_total,

        -- scroll depth
        {{ clarity_finite_or_null(
            clarity_column_or_null(raw, 'average_scroll_depth', clarity_type_double())
        ) }} as average_scroll_depth,

        -- traffic
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'total_session_count', dbt.type_string())
        ) }} as total_session_count,
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'total_bot_session_count', dbt.type_string())
        ) }} as total_bot_session_count,
        coalesce(
            {{ clarity_count_to_int(
                clarity_column_or_null(raw, 'distinct_user_count', dbt.type_string())
            ) }},
            {{ clarity_count_to_int(
                clarity_column_or_null(raw, 'distant_user_count', dbt.type_string())
            ) }}
        ) as distinct_user_count,
        {{ clarity_finite_or_null(
            clarity_column_or_null(raw, 'pages_per_session_percentage', clarity_type_double())
        ) }} as pages_per_session,

        -- engagement time (seconds)
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'total_time', dbt.type_string())
        ) }} as total_time_seconds,
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'active_time', dbt.type_string())
        ) }} as active_time_seconds,

        -- popular pages
        {{ clarity_count_to_int(
            clarity_column_or_null(raw, 'visits_count', dbt.type_string())
        ) }} as visits_count,

        -- lineage
        {{ clarity_column_or_null(raw, 'nonconforming_values', dbt.type_string()) }}
            as nonconforming_values,
        {{ clarity_column_or_null(raw, 'ingest_run_id', dbt.type_string()) }} as ingest_run_id,
        _dlt_load_id as dlt_load_id

    from source

)

select * from renamed
