with

page_rows as (

    select
        project,
        page_url,
        page_url_raw,
        snapshot_id,
        sessions,
        fetched_at
    from {{ ref('int_snapshot_metrics_pivoted') }}
    where page_url is not null

),

pages as (

    select
        project,
        page_url,
        count(distinct page_url_raw) as url_variant_count,
        count(distinct snapshot_id) as snapshot_count,
        max(coalesce(sessions, 0)) as max_window_sessions,
        min(fetched_at) as first_seen_at,
        max(fetched_at) as last_seen_at
    from page_rows
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
