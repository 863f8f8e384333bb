{%- set bigint = dbt.type_bigint() -%}
with

variants as (

    select
        project,
        page_url,
        page_snapshot_count,
        max_window_sessions,
        first_seen_at,
        last_seen_at
    from {{ ref('int_page_url_variants_seen') }}

),

pages as (

    select
        project,
        page_url,
        cast(count(*) as {{ bigint }}) as url_variant_count,
        cast(sum(page_snapshot_count) as {{ bigint }}) as snapshot_count,
        max(max_window_sessions) as max_window_sessions,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from variants
    group by project, page_url

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['project', 'page_url']) }} as page_id,
        project,
        page_url,

        -- parts of the URL
        {{ dbt.split_part('page_url', "'/'", 3) }} as page_host,
        regexp_replace(page_url, '^[^:/]+://[^/]*', '') as page_path,

        -- history
        url_variant_count,
        snapshot_count,
        max_window_sessions = 0 as is_bot_only,
        first_seen_at,
        last_seen_at

    from pages

)

select * from final
