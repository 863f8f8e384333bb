{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set windows = [7, 28] -%}
{%- set prior_sessions = var('clarity_score_prior_sessions', 50) -%}

with

page_daily as (

    select
        project,
        page_url,
        activity_date,
        sessions,
        value_source
    from {{ ref('fct_page_daily') }}

),

page_signals as (

    select
        project,
        scope_key as page_url,
        activity_date,
        signal,  -- noqa: RF04
        base_sessions,
        sessions_with_signal
    from {{ ref('fct_signal_daily') }}
    where scope = 'page'

),

-- the dates a project has page data for: one ranking per project and date
report_dates as (

    select distinct
        project,
        activity_date as report_date
    from page_daily
    where {{ clarity_lookback_filter('activity_date') }}

),

-- every page seen in the 28 days up to the date, its days and sessions per trailing window
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
        count(
            case
                when {{ in_window }} and page_daily.value_source = 'solved_estimate'
                    then page_daily.activity_date
            end
        ) as estimated_days_{{ days }}d,
        cast(
            coalesce(sum(case when {{ in_window }} then page_daily.sessions end), 0)
            as {{ dbt.type_bigint() }}
        ) as sessions_{{ days }}d,
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

-- the same pages' signal counts summed per trailing window, one row per signal
signal_windows as (

    select
        report_dates.project,
        page_signals.page_url,
        report_dates.report_date,
        {% for days in windows -%}
        {%- set in_window -%}
            page_signals.activity_date
            > cast({{ dbt.dateadd('day', -days, 'report_dates.report_date') }} as date)
        {%- endset -%}
        coalesce(
            sum(case when {{ in_window }} then page_signals.base_sessions end), 0
        ) as base_sessions_{{ days }}d,
        coalesce(
            sum(case when {{ in_window }} then page_signals.sessions_with_signal end), 0
        ) as sessions_with_signal_{{ days }}d,
        {% endfor -%}
        page_signals.signal
    from report_dates
    inner join page_signals
        on
            report_dates.project = page_signals.project
            and report_dates.report_date >= page_signals.activity_date
            and cast({{ dbt.dateadd('day', -windows[-1], 'report_dates.report_date') }} as date)
            < page_signals.activity_date
    group by
        report_dates.project,
        page_signals.page_url,
        report_dates.report_date,
        page_signals.signal

),

-- the site measured like its pages: every page row of the project recombined per window
site_windows as (

    select
        project,
        report_date,
        {% for days in windows -%}
        {{ clarity_safe_divide(
            'sum(sessions_with_signal_' ~ days ~ 'd)', 'sum(base_sessions_' ~ days ~ 'd)'
        ) }} as site_rate_{{ days }}d,
        {% endfor -%}
        signal  -- noqa: RF04
    from signal_windows
    group by
        project,
        report_date,
        signal

),

weights as (

    {{ clarity_score_weights() }}

),

-- raw, site and shrunk rates per signal and window (docs block clarity_score_shrinkage)
rates as (

    select
        signal_windows.project,
        signal_windows.page_url,
        signal_windows.report_date,
        {% for days in windows -%}
        {{ clarity_safe_divide(
            'signal_windows.sessions_with_signal_' ~ days ~ 'd',
            'signal_windows.base_sessions_' ~ days ~ 'd'
        ) }} as rate_{{ days }}d,
        site_windows.site_rate_{{ days }}d,
        (
            signal_windows.sessions_with_signal_{{ days }}d
            + {{ prior_sessions }} * site_windows.site_rate_{{ days }}d
        )
        / nullif(
            cast(signal_windows.base_sessions_{{ days }}d as {{ clarity_type_double() }})
            + {{ prior_sessions }},
            0
        ) as shrunk_rate_{{ days }}d,
        {% endfor -%}
        signal_windows.signal
    from signal_windows
    inner join site_windows
        on
            signal_windows.project = site_windows.project
            and signal_windows.report_date = site_windows.report_date
            and signal_windows.signal = site_windows.signal

),

-- the rates of each page and date side by side, and the scores they make
scored as (

    select
        rates.project,
        rates.page_url,
        {% for days in windows -%}
        {{ clarity_pivot_signals(
            {'rate_' ~ days ~ 'd': 'rates.rate_' ~ days ~ 'd'}, signal_column='rates.signal'
        ) }},
        {% for kind in ['', 'shrunk_', 'site_'] -%}
        {{ clarity_score('rates.' ~ kind ~ 'rate_' ~ days ~ 'd', signal_column='rates.signal') }}
            as {{ kind }}score_{{ days }}d,
        {% endfor -%}
        {% endfor -%}
        rates.report_date
    from rates
    cross join weights
    group by
        rates.project,
        rates.page_url,
        rates.report_date

),

excess as (

    select
        page_windows.project,
        page_windows.page_url,
        page_windows.report_date,
        page_windows.sessions,
        {% for days in windows -%}
        page_windows.days_with_data_{{ days }}d,
        page_windows.estimated_days_{{ days }}d,
        page_windows.sessions_{{ days }}d,
        {%- for column in clarity_signal_columns(['rate_' ~ days ~ 'd'], 'scored.') %}
        {{ column }},
        {%- endfor %}
        scored.score_{{ days }}d,
        scored.shrunk_score_{{ days }}d,
        scored.site_score_{{ days }}d,
        page_windows.sessions_{{ days }}d
        * (scored.shrunk_score_{{ days }}d - scored.site_score_{{ days }}d)
        / 100.0 as excess_frustrated_sessions_{{ days }}d,
        {% endfor -%}
        {{ clarity_surrogate_key(
            ['page_windows.project', 'page_windows.page_url', 'page_windows.report_date']
        ) }} as page_frustration_day_id
    from page_windows
    inner join scored
        on
            page_windows.project = scored.project
            and page_windows.page_url = scored.page_url
            and page_windows.report_date = scored.report_date

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
        estimated_days_7d,
        sessions_7d,
        {{ clarity_signal_columns(['rate_7d']) | join(',\n        ') }},
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
        estimated_days_28d,
        sessions_28d,
        {{ clarity_signal_columns(['rate_28d']) | join(',\n        ') }},
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
