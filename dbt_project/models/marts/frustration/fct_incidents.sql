{%- set min_sessions = var('clarity_alert_min_sessions', 100) -%}
{%- set calm_z = var('clarity_incident_calm_z', 2.0) -%}
{%- set resolve_days = var('clarity_incident_resolve_days', 3) -%}

-- A table recomputed whole on every build (docs block clarity_incident_rule): an episode is a
-- fold over a series' whole history of alerts, so it cannot be rebuilt from the recent dates alone;
-- it reads only the series that have alerts, which keeps it cheap.

with

signal_alerts as (

    select
        {{ clarity_surrogate_key(['scope', 'project', 'page_url', 'metric']) }} as series_id,
        activity_date,
        strength
    from {{ ref('fct_alerts') }}
    where scope in ('site', 'page')

),

alerted_series as (

    select distinct series_id
    from signal_alerts

),

-- every tested day of the series that have alerts (the same minimum of sessions as the rule)
tested as (

    select
        {{ clarity_surrogate_key(['scope', 'project', 'page_url', 'metric']) }} as series_id,
        scope,
        project,
        page_url,
        metric,
        activity_date,
        day_with_signal,
        day_sessions,
        baseline_with_signal,
        baseline_sessions,
        observed,
        expected
    from {{ ref('int_signal_rates_tested') }}
    where
        day_sessions >= {{ min_sessions }}
        and baseline_sessions >= {{ min_sessions }}
        and z_score is not null

),

series_days as (

    select
        tested.series_id,
        tested.scope,
        tested.project,
        tested.page_url,
        tested.metric,
        tested.activity_date,
        tested.day_with_signal,
        tested.day_sessions,
        tested.baseline_with_signal,
        tested.baseline_sessions,
        tested.observed,
        tested.expected,
        signal_alerts.strength,
        signal_alerts.activity_date is not null as is_alert
    from tested
    inner join alerted_series
        on tested.series_id = alerted_series.series_id
    left join signal_alerts
        on
            tested.series_id = signal_alerts.series_id
            and tested.activity_date = signal_alerts.activity_date

),

-- alerts numbered per series: a day belongs to the segment of the latest alert on or before it
numbered as (

    select
        series_id,
        scope,
        project,
        page_url,
        metric,
        activity_date,
        day_with_signal,
        day_sessions,
        baseline_with_signal,
        baseline_sessions,
        observed,
        expected,
        strength,
        is_alert,
        sum(case when is_alert then 1 else 0 end) over (
            partition by series_id order by activity_date
            rows between unbounded preceding and current row
        ) as alert_number
    from series_days

),

segment_alerts as (

    select
        series_id,
        scope,
        project,
        page_url,
        metric,
        activity_date,
        alert_number,
        baseline_with_signal,
        baseline_sessions,
        observed,
        expected,
        strength
    from numbered
    where is_alert

),

-- a day after an alert is calm when its rate is not significantly above the baseline the alert
-- was measured against (z below clarity_incident_calm_z)
segment_days as (

    select
        numbered.series_id,
        numbered.alert_number,
        numbered.activity_date,
        not numbered.is_alert
        and {{ clarity_alert_z(
            'numbered.day_with_signal', 'numbered.day_sessions',
            'segment_alerts.baseline_with_signal', 'segment_alerts.baseline_sessions'
        ) }} < {{ calm_z }} as is_calm
    from numbered
    inner join segment_alerts
        on
            numbered.series_id = segment_alerts.series_id
            and numbered.alert_number = segment_alerts.alert_number

),

-- runs of consecutive calm tested days within a segment: every day that is not calm starts a run
calm_runs as (

    select
        series_id,
        alert_number,
        activity_date,
        is_calm,
        sum(case when is_calm then 0 else 1 end) over (
            partition by series_id, alert_number order by activity_date
            rows between unbounded preceding and current row
        ) as calm_run
    from segment_days

),

calm_counted as (

    select
        series_id,
        alert_number,
        activity_date,
        row_number() over (
            partition by series_id, alert_number, calm_run order by activity_date
        ) as calm_days
    from calm_runs
    where is_calm

),

-- the date a segment's rate had stayed calm on clarity_incident_resolve_days tested days
segment_resolved as (

    select
        series_id,
        alert_number,
        min(activity_date) as resolved_on
    from calm_counted
    where calm_days = {{ resolve_days }}
    group by series_id, alert_number

),

-- an alert opens an episode when it is the series' first or the episode before it resolved
episode_starts as (

    select
        segment_alerts.series_id,
        segment_alerts.scope,
        segment_alerts.project,
        segment_alerts.page_url,
        segment_alerts.metric,
        segment_alerts.activity_date,
        segment_alerts.alert_number,
        segment_alerts.observed,
        segment_alerts.expected,
        segment_alerts.strength,
        case
            when segment_alerts.alert_number = 1 or previous.resolved_on is not null then 1
            else 0
        end as opens_episode
    from segment_alerts
    left join segment_resolved as previous
        on
            segment_alerts.series_id = previous.series_id
            and segment_alerts.alert_number = previous.alert_number + 1

),

episode_alerts as (

    select
        series_id,
        scope,
        project,
        page_url,
        metric,
        activity_date,
        alert_number,
        observed,
        expected,
        strength,
        sum(opens_episode) over (
            partition by series_id order by activity_date
            rows between unbounded preceding and current row
        ) as episode_number
    from episode_starts

),

peaks as (

    select
        series_id,
        episode_number,
        activity_date,
        observed,
        expected,
        strength,
        row_number() over (
            partition by series_id, episode_number order by strength desc, activity_date asc
        ) as peak_rank
    from episode_alerts

),

signal_episodes as (

    select
        series_id,
        scope,
        project,
        page_url,
        metric,
        episode_number,
        min(activity_date) as opened_on,
        max(activity_date) as last_seen_on,
        count(*) as alert_days,
        max(alert_number) as last_alert_number
    from episode_alerts
    group by series_id, scope, project, page_url, metric, episode_number

),

signal_incidents as (

    select
        signal_episodes.project,
        signal_episodes.scope,
        signal_episodes.page_url,
        signal_episodes.metric,
        signal_episodes.opened_on,
        signal_episodes.last_seen_on,
        segment_resolved.resolved_on,
        case when segment_resolved.resolved_on is not null then 'near_baseline' end as resolution,
        signal_episodes.alert_days,
        peaks.activity_date as peak_on,
        peaks.strength as peak_strength,
        peaks.observed as peak_observed,
        peaks.expected as peak_expected
    from signal_episodes
    inner join peaks
        on
            signal_episodes.series_id = peaks.series_id
            and signal_episodes.episode_number = peaks.episode_number
            and peaks.peak_rank = 1
    left join segment_resolved
        on
            signal_episodes.series_id = segment_resolved.series_id
            and signal_episodes.last_alert_number = segment_resolved.alert_number

),

-- collection: a run of consecutive dates without their own daily value, each still missing (a
-- collection alert) or recovered later by a nested difference or the solver once the project
-- was collected live (a request sent before the date: not the first run's earlier days, not an
-- imported archive's windows)
collection_days as (

    select
        project,
        activity_date,
        is_missing,
        missing_reason,
        day_coverage,
        site_value_source,
        coalesce(sum(requests) over (
            partition by project order by activity_date
            rows between unbounded preceding and 1 preceding
        ), 0) as requests_before
    from {{ ref('fct_collection_daily') }}

),

episode_days as (

    select
        project,
        activity_date,
        is_missing,
        day_coverage,
        {{ dbt.datediff("cast('2000-01-01' as date)", 'activity_date', 'day') }}
        - row_number() over (partition by project order by activity_date) as day_run
    from collection_days
    where
        (is_missing and coalesce(missing_reason, '') <> 'awaiting_collection')
        or (
            not is_missing
            and site_value_source <> 'one_day_window'
            and requests_before > 0
        )

),

collection_episodes as (

    select
        project,
        day_run,
        min(activity_date) as opened_on,
        max(activity_date) as last_seen_on,
        count(*) as alert_days,
        sum(case when is_missing then 1 else 0 end) as days_missing,
        min(coalesce(day_coverage, 0)) as lowest_coverage
    from episode_days
    group by project, day_run

),

collection_incidents as (

    select
        collection_episodes.project,
        'collection' as scope,
        cast(null as {{ dbt.type_string() }}) as page_url,
        'collection' as metric,
        collection_episodes.opened_on,
        collection_episodes.last_seen_on,
        case
            when collection_episodes.days_missing = 0 or next_day.activity_date is not null
                then cast({{ dbt.dateadd('day', 1, 'collection_episodes.last_seen_on') }} as date)
        end as resolved_on,
        case
            when collection_episodes.days_missing = 0 then 'recovered'
            when next_day.activity_date is not null then 'collecting_again'
        end as resolution,
        collection_episodes.alert_days,
        collection_episodes.last_seen_on as peak_on,
        collection_episodes.alert_days as peak_strength,
        collection_episodes.lowest_coverage as peak_observed,
        {{ var('clarity_min_day_coverage') }} as peak_expected
    from collection_episodes
    left join collection_days as next_day
        on
            collection_episodes.project = next_day.project
            and next_day.activity_date
            = cast({{ dbt.dateadd('day', 1, 'collection_episodes.last_seen_on') }} as date)
            and not next_day.is_missing

),

incidents as (

    select
        project,
        scope,
        page_url,
        metric,
        opened_on,
        last_seen_on,
        resolved_on,
        resolution,
        cast(alert_days as {{ dbt.type_bigint() }}) as alert_days,
        peak_on,
        cast(peak_strength as {{ clarity_type_double() }}) as peak_strength,
        cast(peak_observed as {{ clarity_type_double() }}) as peak_observed,
        cast(peak_expected as {{ clarity_type_double() }}) as peak_expected
    from signal_incidents

    union all

    select
        project,
        scope,
        page_url,
        metric,
        opened_on,
        last_seen_on,
        resolved_on,
        resolution,
        cast(alert_days as {{ dbt.type_bigint() }}) as alert_days,
        peak_on,
        cast(peak_strength as {{ clarity_type_double() }}) as peak_strength,
        cast(peak_observed as {{ clarity_type_double() }}) as peak_observed,
        cast(peak_expected as {{ clarity_type_double() }}) as peak_expected
    from collection_incidents

),

identified as (

    select
        {{ clarity_surrogate_key(['scope', 'project', 'page_url', 'metric', 'opened_on']) }}
            as incident_id,
        project,
        scope,
        page_url,
        metric,
        opened_on,
        last_seen_on,
        resolved_on,
        case when resolved_on is null then 'open' else 'resolved' end as status,
        resolution,
        alert_days,
        peak_on,
        peak_strength,
        peak_observed,
        peak_expected
    from incidents

),

-- people's decisions (`clarity incident`, append-only): the latest of each incident wins
actions_ranked as (

    select
        incident_id,
        action,  -- noqa: RF04
        snoozed_until,
        note,
        recorded_at,
        row_number() over (
            partition by incident_id order by recorded_at desc, action_id desc
        ) as action_rank
    from {{ ref('stg_clarity__incident_actions') }}

),

-- each project's current date (its latest date of the collection record): a snooze applies
-- up to and including its date
project_today as (

    select
        project,
        max(activity_date) as today_on
    from {{ ref('fct_collection_daily') }}
    group by project

),

triaged as (

    select
        identified.incident_id,
        identified.project,
        identified.scope,
        identified.page_url,
        identified.metric,
        identified.opened_on,
        identified.last_seen_on,
        identified.resolved_on,
        identified.status,
        identified.resolution,
        identified.alert_days,
        identified.peak_on,
        identified.peak_strength,
        identified.peak_observed,
        identified.peak_expected,
        case
            when latest.action in ('fixed', 'wont_fix') then latest.action
            when
                latest.action = 'snoozed'
                and latest.snoozed_until >= coalesce(project_today.today_on, latest.snoozed_until)
                then latest.action
        end as triage_status,
        latest.snoozed_until,
        latest.note as triage_note,
        latest.recorded_at as triage_recorded_at
    from identified
    left join actions_ranked as latest
        on
            identified.incident_id = latest.incident_id
            and latest.action_rank = 1
    left join project_today
        on identified.project = project_today.project

),

final as (

    select
        -- ids
        incident_id,
        project,
        scope,
        page_url,
        metric,

        -- the episode
        opened_on,
        last_seen_on,
        resolved_on,
        status,
        resolution,
        alert_days,

        -- its peak
        peak_on,
        peak_strength,
        peak_observed,
        peak_expected,

        -- a person's triage, and the status the outputs act on
        triage_status,
        case when triage_status = 'snoozed' then snoozed_until end as snoozed_until,
        triage_note,
        triage_recorded_at,
        case
            when status = 'resolved' then 'resolved'
            when triage_status is not null then triage_status
            else 'open'
        end as effective_status

    from triaged

)

select * from final
