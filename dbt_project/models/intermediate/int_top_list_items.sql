{%- set lists = {
    'ReferrerUrl': 'referrer',
    'PageTitle': 'page_title',
    'PopularPages': 'popular_page',
    'Browser': 'browser',
    'Device': 'device',
    'OS': 'os',
    'Country': 'country',
} -%}

{#- Incremental by snapshot: a window's lists depend on its own snapshot only, so a run appends
    the site-level snapshots not read yet (an archive import of old data included). Which date a
    one-day window's lists are chosen for depends on later windows: fct_top_list_windows joins
    it. -#}
{{ config(**clarity_incremental_config('snapshot_id', append_only=true)) }}
with

snapshots as (

    select
        snapshot_id,
        project,
        num_of_days,
        fetched_at,
        window_start_at,
        window_end_at
    -- the alias is used by the incremental filter only
    from {{ ref('stg_clarity__snapshots') }} as all_snapshots  -- noqa: AL05
    where
        -- the top lists come only in site-level bodies
        dimensions = ''
        and {{ clarity_snapshot_not_built('all_snapshots') }}

),

list_rows as (

    select
        snapshot_id,
        case metric_name
            {%- for block, list_name in lists.items() %}
            when '{{ block }}' then '{{ list_name }}'
            {%- endfor %}
        end as list_name,
        -- the wire's order is the list's order (most sessions first)
        row_number() over (
            partition by snapshot_id, metric_name
            order by block_index asc, row_index asc
        ) as item_rank,
        -- masked in staging already (a referrer's or a popular page's secret parameters)
        case
            when metric_name = 'PopularPages' then page_url_raw
            when metric_name = 'PageTitle' then {{ clarity_html_unescape('item_name') }}
            else item_name
        end as item_received,
        case
            when metric_name = 'PopularPages' then page_url_raw
            when metric_name = 'ReferrerUrl' then item_name
        end as url_received,
        case when metric_name <> 'PopularPages' then sessions_count end as sessions,
        case when metric_name = 'PopularPages' then visits_count end as visits
    from {{ ref('stg_clarity__metric_rows') }}
    where
        snapshot_id in (select snapshots.snapshot_id from snapshots)
        and metric_name in (
            {%- for block in lists %}
            '{{ block }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

normalised as (

    select
        snapshot_id,
        list_name,
        item_rank,
        -- no name: sessions without a referrer (direct, typed, bookmarks, apps), or unknown
        coalesce(item_received, '(not set)') as item,
        {{ clarity_normalize_url('url_received') }} as item_url,
        sessions,
        visits
    from list_rows

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key([
            'normalised.snapshot_id', 'normalised.list_name', 'normalised.item_rank',
        ]) }} as top_list_window_id,
        normalised.snapshot_id,
        snapshots.project,
        snapshots.num_of_days,

        -- the list and the item
        normalised.list_name,
        cast(normalised.item_rank as {{ dbt.type_int() }}) as item_rank,
        normalised.item,
        normalised.item_url,
        case
            when
                normalised.list_name = 'referrer'
                and position('://' in normalised.item_url) > 0
                then {{ dbt.split_part('normalised.item_url', "'/'", 3) }}
        end as referrer_host,
        case
            when normalised.list_name = 'popular_page'
                then {{ clarity_surrogate_key(['snapshots.project', 'normalised.item_url']) }}
        end as page_id,

        -- the item's count within the window
        cast(normalised.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(normalised.visits as {{ dbt.type_bigint() }}) as visits,

        -- window (UTC)
        snapshots.fetched_at,
        snapshots.window_start_at,
        snapshots.window_end_at

    from normalised
    inner join snapshots
        on normalised.snapshot_id = snapshots.snapshot_id

)

select * from final
