{#- One row per series (the site, or a page), UTC date and signal that has a baseline: the
    day's counts beside the same series' counts over the days present in the
    var('clarity_alert_baseline_days') days before it, and the z statistic of the alert rule
    (docs block clarity_alert_rule) where the counts allow it. fct_alerts keeps the rows that
    fire. Incremental: each run recomputes the dates in the lookback window whole (a date's
    baseline only looks back, so older dates cannot change). -#}
{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set signals = clarity_signals() | map(attribute='key') | list -%}
{%- set baseline_days = var('clarity_alert_baseline_days', 28) -%}

with

-- site and page series side by side; page_url is null for the site
daily as (

    select
        'site' as scope,
        project,
        cast(null as {{ dbt.type_string() }}) as page_url,
        {% for signal in signals -%}
        {{ signal }}_base_sessions,
        {{ signal }}_sessions,
        {% endfor -%}
        activity_date
    from {{ ref('fct_site_daily') }}

    union all

    select
        'page' as scope,
        project,
        page_url,
        {% for signal in signals -%}
        {{ signal }}_base_sessions,
        {{ signal }}_sessions,
        {% endfor -%}
        activity_date
    from {{ ref('fct_page_daily') }}

),

-- the dates this run (re)computes
tested_days as (

    select
        scope,
        project,
        page_url,
        {% for signal in signals -%}
        {{ signal }}_base_sessions,
        {{ signal }}_sessions,
        {% endfor -%}
        activity_date
    from daily
    where {{ clarity_lookback_filter('activity_date') }}

),

-- each day beside its baseline, recombined from the baseline's counts
paired as (

    select
        tested_days.scope,
        tested_days.project,
        tested_days.page_url,
        {% for signal in signals -%}
        max(tested_days.{{ signal }}_base_sessions) as {{ signal }}_base_sessions,
        max(tested_days.{{ signal }}_sessions) as {{ signal }}_sessions,
        sum(baseline.{{ signal }}_base_sessions) as baseline_{{ signal }}_base_sessions,
        sum(baseline.{{ signal }}_sessions) as baseline_{{ signal }}_sessions,
        {% endfor -%}
        tested_days.activity_date
    from tested_days
    inner join daily as baseline
        on
            tested_days.scope = baseline.scope
            and tested_days.project = baseline.project
            and coalesce(tested_days.page_url, '') = coalesce(baseline.page_url, '')
            and tested_days.activity_date > baseline.activity_date
            and cast(
                {{ dbt.dateadd('day', -baseline_days, 'tested_days.activity_date') }} as date
            ) <= baseline.activity_date
    group by
        tested_days.scope,
        tested_days.project,
        tested_days.page_url,
        tested_days.activity_date

),

-- one row per series, date and signal
signal_tests as (

    {% for signal in signals -%}
    {% if not loop.first -%}
    union all

    {% endif -%}
    select
        scope,
        project,
        page_url,
        activity_date,
        '{{ signal }}' as metric,
        {{ signal }}_sessions as day_with_signal,
        {{ signal }}_base_sessions as day_sessions,
        baseline_{{ signal }}_sessions as baseline_with_signal,
        baseline_{{ signal }}_base_sessions as baseline_sessions
    from paired

    {% endfor -%}
),

final as (

    select
        -- ids
        scope,
        project,
        page_url,
        metric,
        activity_date,

        -- counts
        cast(day_with_signal as {{ dbt.type_bigint() }}) as day_with_signal,
        cast(day_sessions as {{ dbt.type_bigint() }}) as day_sessions,
        cast(baseline_with_signal as {{ dbt.type_bigint() }}) as baseline_with_signal,
        cast(baseline_sessions as {{ dbt.type_bigint() }}) as baseline_sessions,

        -- rates and the rule's statistic (null where the counts are not coherent)
        {{ clarity_safe_divide('day_with_signal', 'day_sessions') }} as observed,
        {{ clarity_safe_divide('baseline_with_signal', 'baseline_sessions') }} as expected,
        case
            when
                day_sessions > 0
                and baseline_sessions > 0
                and day_with_signal between 0 and day_sessions
                and baseline_with_signal between 0 and baseline_sessions
                then {{ clarity_alert_z(
                    'day_with_signal', 'day_sessions', 'baseline_with_signal', 'baseline_sessions'
                ) }}
        end as z_score

    from signal_tests

)

select * from final
