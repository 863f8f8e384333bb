{%- set baseline_days = var('clarity_alert_baseline_days', 28) -%}
{%- set min_sessions = var('clarity_alert_min_sessions', 100) -%}
{%- set z_threshold = var('clarity_alert_z_threshold', 5.0) -%}
{%- set signal_rule = 'rate up: z >= ' ~ z_threshold
    ~ ' against the trailing ' ~ baseline_days ~ '-day baseline, >= '
    ~ min_sessions ~ ' sessions on each side' -%}

with

-- every tested series, date and signal (int_signal_rates_tested); the rule is applied only
-- where both sides have enough sessions
signal_z as (

    select
        scope,
        project,
        page_url,
        activity_date,
        metric,
        day_sessions,
        baseline_sessions,
        observed,
        expected,
        z_score
    from {{ ref('int_signal_rates_tested') }}
    where
        day_sessions >= {{ min_sessions }}
        and baseline_sessions >= {{ min_sessions }}
        and z_score is not null

),

signal_alerts as (

    select
        project,
        scope,
        page_url,
        metric,
        activity_date,
        observed,
        expected,
        z_score as strength,
        day_sessions as sessions,
        baseline_sessions,
        '{{ signal_rule }}' as rule  -- noqa: RF04
    from signal_z
    where
        observed > expected
        and z_score >= {{ z_threshold }}

),

-- missing days numbered within each run of consecutive missing days; a date that had not
-- ended at the latest fetch (awaiting_collection) is not an anomaly
missing_days as (

    select
        project,
        activity_date,
        missing_reason,
        day_coverage,
        {{ dbt.datediff("cast('2000-01-01' as date)", 'activity_date', 'day') }}
        - row_number() over (partition by project order by activity_date) as missing_run
    from {{ ref('fct_collection_daily') }}
    where
        is_missing
        and coalesce(missing_reason, '') <> 'awaiting_collection'

),

collection_alerts as (

    select
        project,
        'collection' as scope,
        cast(null as {{ dbt.type_string() }}) as page_url,
        'collection' as metric,
        activity_date,
        coalesce(day_coverage, 0) as observed,
        {{ var('clarity_min_day_coverage') }} as expected,
        row_number() over (
            partition by project, missing_run order by activity_date
        ) as strength,
        cast(null as {{ dbt.type_bigint() }}) as sessions,
        cast(null as {{ dbt.type_bigint() }}) as baseline_sessions,
        {{ dbt.concat(["'collection day missing: '", "coalesce(missing_reason, 'unknown')"]) }}
            as rule  -- noqa: RF04
    from missing_days

),

alerts as (

    select
        project,
        scope,
        page_url,
        metric,
        activity_date,
        cast(observed as {{ clarity_type_double() }}) as observed,
        cast(expected as {{ clarity_type_double() }}) as expected,
        cast(strength as {{ clarity_type_double() }}) as strength,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(baseline_sessions as {{ dbt.type_bigint() }}) as baseline_sessions,
        rule
    from signal_alerts

    union all

    select
        project,
        scope,
        page_url,
        metric,
        activity_date,
        cast(observed as {{ clarity_type_double() }}) as observed,
        cast(expected as {{ clarity_type_double() }}) as expected,
        cast(strength as {{ clarity_type_double() }}) as strength,
        sessions,
        baseline_sessions,
        rule
    from collection_alerts

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['scope', 'project', 'page_url', 'metric', 'activity_date']) }}
            as alert_id,
        project,
        scope,
        page_url,
        metric,
        activity_date,

        -- measures
        observed,
        expected,
        strength,
        sessions,
        baseline_sessions,
        rule

    from alerts

)

select * from final
