{%- set bigint = dbt.type_bigint() -%}
{#- Incremental by load: raw is append-only and a snapshot's rows are written in the same dlt load
    as the snapshot, so a run reads only the snapshots of loads newer than the newest one counted
    here, and adds their counts to the variants of the projects they reach (a project's variants
    are rewritten whole: one partition per project on Spark). -#}
{{ config(**clarity_incremental_config('project')) }}
with

new_snapshots as (

    select
        snapshot_id,
        dlt_load_id
    from {{ ref('stg_clarity__snapshots') }}
    {%- if is_incremental() %}
    where dlt_load_id > (
        select coalesce(max(counted.last_dlt_load_id), '')
        from {{ this }} as counted
    )
    {%- endif %}

),

page_rows as (

    select
        rows_seen.project,
        rows_seen.page_url,
        rows_seen.page_url_raw,
        rows_seen.snapshot_id,
        new_snapshots.dlt_load_id,
        rows_seen.sessions,
        rows_seen.fetched_at
    from {{ ref('int_snapshot_metrics_pivoted') }} as rows_seen
    inner join new_snapshots
        on rows_seen.snapshot_id = new_snapshots.snapshot_id
    where rows_seen.page_url is not null

),

-- one row per snapshot and raw URL (a URL+Device snapshot has a row per device)
variant_snapshots as (

    select
        project,
        page_url,
        page_url_raw,
        snapshot_id,
        max(dlt_load_id) as dlt_load_id,
        max(coalesce(sessions, 0)) as max_window_sessions,
        max(fetched_at) as fetched_at
    from page_rows
    group by
        project,
        page_url,
        page_url_raw,
        snapshot_id

),

-- one variant of each page in each snapshot stands for the page there, so that the pages'
-- snapshot counts add up over the variants
variant_snapshots_ranked as (

    select
        project,
        page_url,
        page_url_raw,
        snapshot_id,
        dlt_load_id,
        max_window_sessions,
        fetched_at,
        row_number() over (
            partition by snapshot_id, page_url
            order by page_url_raw asc
        ) as variant_rank
    from variant_snapshots

),

new_variants as (

    select
        project,
        page_url,
        page_url_raw,
        count(*) as snapshot_count,
        sum(case when variant_rank = 1 then 1 else 0 end) as page_snapshot_count,
        max(max_window_sessions) as max_window_sessions,
        min(fetched_at) as first_seen_at,
        max(fetched_at) as last_seen_at,
        max(dlt_load_id) as last_dlt_load_id
    from variant_snapshots_ranked
    group by
        project,
        page_url,
        page_url_raw

),

counted as (

    select
        project,
        page_url,
        page_url_raw,
        snapshot_count,
        page_snapshot_count,
        max_window_sessions,
        first_seen_at,
        last_seen_at,
        last_dlt_load_id
    from new_variants
    {%- if is_incremental() %}
    -- the variants counted before, of the projects this run rewrites
    union all
    select
        project,
        page_url,
        page_url_raw,
        snapshot_count,
        page_snapshot_count,
        max_window_sessions,
        first_seen_at,
        last_seen_at,
        last_dlt_load_id
    from {{ this }}
    where project in (select touched.project from new_variants as touched)
    {%- endif %}

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['project', 'page_url_raw']) }} as page_url_variant_id,
        project,
        page_url,
        page_url_raw,

        -- history
        cast(sum(snapshot_count) as {{ bigint }}) as snapshot_count,
        cast(sum(page_snapshot_count) as {{ bigint }}) as page_snapshot_count,
        max(max_window_sessions) as max_window_sessions,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        max(last_dlt_load_id) as last_dlt_load_id

    from counted
    group by
        project,
        page_url,
        page_url_raw

)

select * from final
