{#- One row per project, page and date: the page's 7- and 28-day frustration, shrunk toward the
    site, its excess frustrated sessions and its rank within the project on that date.
    Docs blocks: clarity_recombined_windows, clarity_frustration_score, clarity_score_shrinkage,
    clarity_excess_frustrated_sessions.
    Incremental: each run recomputes the report dates in the lookback window (macro
    clarity_lookback_filter) whole, reading the 28 days of fct_page_daily before them; a date's
    windows only look back, so older dates cannot change. -#}
{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set signals = clarity_signals() | map(attribute='key') | list -%}
{%- set windows = [7, 28] -%}
{%- set prior_sessions = var('clarity_score_prior_sessions', 50) -%}

with

page_daily as (

    select
        project,
        page_url,
        activity_date,
        {% for signal in signals -%}
        {{ signal }}_base_sessions,
        {{ signal }}_sessions,
        {% endfor -%}
        sessions
    from {{ ref('fct_page_daily') }}

),

-- the dates a project has page data for: one ranking per project and date
report_dates as (

    select distinct
        project,
        activity_date as report_date
    from page_daily
    where {{ clarity_lookback_filter('activity_date') }}

),

-- daily counts of every page seen in the 28 days up to the date, summed per trailing window
page_windows as (

    select
        report_dates.project,
        page_daily.page_url,
        report_dates.report_date,
        {% for days in windows -%}
        {%- set in_window -%}
            page_daily.activity_date
            > cast({{ dbt.dateadd('day', -days, 'report_dates.report_date') }} as date)
        {%- endset -%}
        count(
            case when {{ in_window }} then page_daily.activity_date end
        ) as days_with_data_{{ days }}d,
        cast(
            coalesce(sum(case when {{ in_window }} then page_daily.sessions end), 0)
            as {{ dbt.type_bigint() }}
        ) as sessions_{{ days }}d,
        {% for signal in signals -%}
        coalesce(
            sum(case when {{ in_window }} then page_daily.{{ signal }}_base_sessions end), 0
        ) as {{ signal }}_base_sessions_{{ days }}d,
        coalesce(
            sum(case when {{ in_window }} then page_daily.{{ signal }}_sessions end), 0
        ) as {{ signal }}_sessions_{{ days }}d,
        {% endfor -%}
        {% endfor -%}
        cast(sum(
            case
                when page_daily.activity_date = report_dates.report_date
                    then page_daily.sessions
            end
        ) as {{ dbt.type_bigint() }}) as sessions
    from report_dates
    inner join page_daily
        on
            report_dates.project = page_daily.project
            and report_dates.report_date >= page_daily.activity_date
            and cast({{ dbt.dateadd('day', -windows[-1], 'report_dates.report_date') }} as date)
            < page_daily.activity_date
    group by
        report_dates.project,
        page_daily.page_url,
        report_dates.report_date

),

-- the site measured like its pages: every page row of the project recombined per window
site_windows as (

    select
        project,
        report_date,
        {% for days in windows -%}
        {% for signal in signals -%}
        {{ clarity_safe_divide(
            'sum(' ~ signal ~ '_sessions_' ~ days ~ 'd)',
            'sum(' ~ signal ~ '_base_sessions_' ~ days ~ 'd)'
        ) }} as site_{{ signal }}_rate_{{ days }}d,
        {% endfor -%}
        {% endfor -%}
        count(*) as pages
    from page_windows
    group by
        project,
        report_date

),

weights as (

    {{ clarity_score_weights() }}

),

-- raw, site and shrunk rates per signal and window (docs block clarity_score_shrinkage)
rates as (

    select
        page_windows.project,
        page_windows.page_url,
        page_windows.report_date,
        {% for days in windows -%}
        page_windows.days_with_data_{{ days }}d,
        page_windows.sessions_{{ days }}d,
        {% for signal in signals -%}
        {{ clarity_safe_divide(
            'page_windows.' ~ signal ~ '_sessions_' ~ days ~ 'd',
            'page_windows.' ~ signal ~ '_base_sessions_' ~ days ~ 'd'
        ) }} as {{ signal }}_rate_{{ days }}d,
        site_windows.site_{{ signal }}_rate_{{ days }}d,
        (
            page_windows.{{ signal }}_sessions_{{ days }}d
            + {{ prior_sessions }} * site_windows.site_{{ signal }}_rate_{{ days }}d
        )
        / nullif(
            cast(
                page_windows.{{ signal }}_base_sessions_{{ days }}d as {{ clarity_type_double() }}
            )
            + {{ prior_sessions }},
            0
        ) as shrunk_{{ signal }}_rate_{{ days }}d,
        {% endfor -%}
        {% endfor -%}
        page_windows.sessions
    from page_windows
    inner join site_windows
        on
            page_windows.project = site_windows.project
            and page_windows.report_date = site_windows.report_date

),

scored as (

    select
        rates.project,
        rates.page_url,
        rates.report_date,
        {% for days in windows -%}
        rates.days_with_data_{{ days }}d,
        rates.sessions_{{ days }}d,
        {% for signal in signals -%}
        rates.{{ signal }}_rate_{{ days }}d,
        {% endfor -%}
        {{ clarity_score('rates.{signal}_rate_' ~ days ~ 'd') }} as score_{{ days }}d,
        {{ clarity_score('rates.shrunk_{signal}_rate_' ~ days ~ 'd') }} as shrunk_score_{{ days }}d,
        {{ clarity_score('rates.site_{signal}_rate_' ~ days ~ 'd') }} as site_score_{{ days }}d,
        {% endfor -%}
        rates.sessions
    from rates
    cross join weights

),

excess as (

    select
        project,
        page_url,
        report_date,
        sessions,
        {% for days in windows -%}
        days_with_data_{{ days }}d,
        sessions_{{ days }}d,
        {% for signal in signals -%}
        {{ signal }}_rate_{{ days }}d,
        {% endfor -%}
        score_{{ days }}d,
        shrunk_score_{{ days }}d,
        site_score_{{ days }}d,
        sessions_{{ days }}d * (shrunk_score_{{ days }}d - site_score_{{ days }}d) / 100.0
            as excess_frustrated_sessions_{{ days }}d,
        {% endfor -%}
        {{ clarity_surrogate_key(['project', 'page_url', 'report_date']) }}
            as page_frustration_day_id
    from scored

),

final as (

    select
        -- ids
        page_frustration_day_id,
        project,
        page_url,
        report_date as activity_date,

        -- the day
        sessions,

        -- trailing 7 days
        days_with_data_7d,
        sessions_7d,
        {% for signal in signals -%}
        {{ signal }}_rate_7d,
        {% endfor -%}
        score_7d,
        shrunk_score_7d,
        site_score_7d,
        excess_frustrated_sessions_7d,
        row_number() over (
            partition by project, report_date
            order by excess_frustrated_sessions_7d desc, page_url asc
        ) as frustration_rank_7d,

        -- trailing 28 days
        days_with_data_28d,
        sessions_28d,
        {% for signal in signals -%}
        {{ signal }}_rate_28d,
        {% endfor -%}
        score_28d,
        shrunk_score_28d,
        site_score_28d,
        excess_frustrated_sessions_28d,
        row_number() over (
            partition by project, report_date
            order by excess_frustrated_sessions_28d desc, page_url asc
        ) as frustration_rank_28d

    from excess

)

select * from final
