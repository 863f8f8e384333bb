{{ config(**clarity_incremental_config(['project', 'activity_date'])) }}

{%- set baseline_days = var('clarity_alert_baseline_days', 28) -%}

with

-- the site and page series of every signal; page_url is null for the site
daily as (

    select
        scope,
        project,
        case when scope = 'page' then scope_key end as page_url,
        signal as metric,
        activity_date,
        sessions_with_signal,
        base_sessions
    from {{ ref('fct_signal_daily') }}
    where
        scope in ('site', 'page')
        -- an estimate never raises an alert nor makes a baseline: the rule tests counts
        and coalesce(value_source, '') <> 'solved_estimate'

),

-- the dates this run (re)computes
tested_days as (

    select
        scope,
        project,
        page_url,
        metric,
        activity_date,
        sessions_with_signal,
        base_sessions
    from daily
    where {{ clarity_lookback_filter('activity_date') }}

),

-- the earliest day a tested day's baseline reaches: an incremental run reads the
-- `clarity_alert_baseline_days` days before its earliest tested date, not all history
reach as (

    select
        cast({{ dbt.dateadd('day', -baseline_days, 'min(activity_date)') }} as date)
            as first_baseline_date
    from tested_days

),

baseline_reach as (

    select
        daily.scope,
        daily.project,
        daily.page_url,
        daily.metric,
        daily.activity_date,
        daily.sessions_with_signal,
        daily.base_sessions
    from daily
    inner join reach
        on daily.activity_date >= reach.first_baseline_date

),

-- each day beside its baseline, recombined from the baseline's counts
paired as (

    select
        tested_days.scope,
        tested_days.project,
        tested_days.page_url,
        tested_days.metric,
        tested_days.activity_date,
        max(tested_days.sessions_with_signal) as day_with_signal,
        max(tested_days.base_sessions) as day_sessions,
        sum(baseline.sessions_with_signal) as baseline_with_signal,
        sum(baseline.base_sessions) as baseline_sessions
    from tested_days
    inner join baseline_reach as baseline
        on
            tested_days.scope = baseline.scope
            and tested_days.project = baseline.project
            and coalesce(tested_days.page_url, '') = coalesce(baseline.page_url, '')
            and tested_days.metric = baseline.metric
            and tested_days.activity_date > baseline.activity_date
            and cast(
                {{ dbt.dateadd('day', -baseline_days, 'tested_days.activity_date') }} as date
            ) <= baseline.activity_date
    group by
        tested_days.scope,
        tested_days.project,
        tested_days.page_url,
        tested_days.metric,
        tested_days.activity_date

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

    from paired

)

select * from final
