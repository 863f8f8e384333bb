{%- set signals = clarity_signals() | map(attribute='key') | list -%}
{%- set prior_sessions = var('clarity_score_prior_sessions', 50) -%}
{%- set bigint = dbt.type_bigint() -%}
{#- Incremental by snapshot: every row depends on its own snapshot only (the site rate, the
    score and the rank are taken within the snapshot), so a run appends the URL snapshots not
    here yet (an archive import of old data included). After changing the prior or the seed's
    weights, run --full-refresh. -#}
{{ config(**clarity_incremental_config('snapshot_id', append_only=true)) }}
with

new_snapshots as (

    select snapshot_id
    -- the alias is used by the incremental filter only
    from {{ ref('stg_clarity__snapshots') }} as all_snapshots  -- noqa: AL05
    where
        dimensions = 'URL'
        and {{ clarity_snapshot_not_built('all_snapshots') }}

),

url_rows as (

    select
        snapshot_id,
        project,
        num_of_days,
        page_url,
        page_url_raw,
        sessions,
        bot_sessions,
        page_views,
        {% for signal in signals -%}
        {{ signal }}_base_sessions,
        {{ signal }}_sessions,
        {% endfor -%}
        fetched_at,
        window_start_at,
        window_end_at
    from {{ ref('int_snapshot_metrics_pivoted') }}
    where
        dimensions = 'URL'
        and page_url is not null
        -- on an incremental run, only the snapshots not here yet
        and snapshot_id in (select new_snapshots.snapshot_id from new_snapshots)

),

pages as (

    select
        snapshot_id,
        project,
        num_of_days,
        page_url,
        fetched_at,
        window_start_at,
        window_end_at,
        {% for signal in signals -%}
        cast(coalesce(sum({{ signal }}_base_sessions), 0) as {{ bigint }})
            as {{ signal }}_base_sessions,
        cast(coalesce(sum({{ signal }}_sessions), 0) as {{ bigint }}) as {{ signal }}_sessions,
        {% endfor -%}
        cast(count(distinct page_url_raw) as {{ bigint }}) as url_variant_count,
        cast(coalesce(sum(sessions), 0) as {{ bigint }}) as sessions,
        cast(coalesce(sum(bot_sessions), 0) as {{ bigint }}) as bot_sessions,
        cast(coalesce(sum(page_views), 0) as {{ bigint }}) as page_views
    from url_rows
    group by
        snapshot_id,
        project,
        num_of_days,
        page_url,
        fetched_at,
        window_start_at,
        window_end_at

),

-- the site measured like its pages: every page row of the snapshot recombined
site as (

    select
        snapshot_id,
        {% for signal in signals -%}
        {{ clarity_safe_divide(
            'sum(' ~ signal ~ '_sessions)', 'sum(' ~ signal ~ '_base_sessions)'
        ) }} as site_{{ signal }}_rate,
        {% endfor -%}
        count(*) as pages
    from pages
    group by snapshot_id

),

weights as (

    {{ clarity_score_weights() }}

),

rates as (

    select
        pages.snapshot_id,
        pages.project,
        pages.num_of_days,
        pages.page_url,
        pages.fetched_at,
        pages.window_start_at,
        pages.window_end_at,
        pages.url_variant_count,
        pages.sessions,
        pages.bot_sessions,
        pages.page_views,
        {% for signal in signals -%}
        pages.{{ signal }}_base_sessions,
        pages.{{ signal }}_sessions,
        {{ clarity_safe_divide(
            'pages.' ~ signal ~ '_sessions', 'pages.' ~ signal ~ '_base_sessions'
        ) }} as {{ signal }}_rate,
        site.site_{{ signal }}_rate,
        (pages.{{ signal }}_sessions + {{ prior_sessions }} * site.site_{{ signal }}_rate)
        / nullif(
            cast(pages.{{ signal }}_base_sessions as {{ clarity_type_double() }})
            + {{ prior_sessions }},
            0
        ) as shrunk_{{ signal }}_rate,
        {% endfor -%}
        site.pages
    from pages
    inner join site
        on pages.snapshot_id = site.snapshot_id

),

scored as (

    select
        rates.snapshot_id,
        rates.project,
        rates.num_of_days,
        rates.page_url,
        rates.fetched_at,
        rates.window_start_at,
        rates.window_end_at,
        rates.url_variant_count,
        rates.sessions,
        rates.bot_sessions,
        rates.page_views,
        {% for signal in signals -%}
        rates.{{ signal }}_base_sessions,
        rates.{{ signal }}_sessions,
        rates.{{ signal }}_rate,
        {% endfor -%}
        {{ clarity_score('rates.{signal}_rate') }} as score,
        {{ clarity_score('rates.shrunk_{signal}_rate') }} as shrunk_score,
        {{ clarity_score('rates.site_{signal}_rate') }} as site_score
    from rates
    cross join weights

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['snapshot_id', 'page_url']) }} as page_window_id,
        {{ clarity_surrogate_key(['project', 'page_url']) }} as page_id,
        snapshot_id,
        project,
        page_url,

        -- the window
        num_of_days,
        url_variant_count,
        sessions,
        bot_sessions,
        page_views,

        -- frustration signals
        {% for signal in signals -%}
        {{ signal }}_base_sessions,
        {{ signal }}_sessions,
        {{ signal }}_rate,
        {% endfor -%}

        -- score, shrunk toward the site, and excess over it
        score,
        shrunk_score,
        site_score,
        sessions * (shrunk_score - site_score) / 100.0 as excess_frustrated_sessions,
        row_number() over (
            partition by snapshot_id
            order by sessions * (shrunk_score - site_score) desc, page_url asc
        ) as frustration_rank,

        -- window (UTC)
        fetched_at,
        window_start_at,
        window_end_at

    from scored

)

select * from final
