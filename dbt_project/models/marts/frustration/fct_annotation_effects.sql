{%- set days = var('clarity_annotation_effect_days', 14) | int -%}
{%- set min_sessions = var('clarity_annotation_effect_min_sessions', 100) | int -%}
{#- |z| at or above which a change is called lower or higher: the two-sided 5 % level -#}
{%- set z_level = 1.96 -%}
{%- set double = clarity_type_double() -%}

with

annotations as (

    select
        annotation_id,
        project,
        annotation_date,
        kind,
        text,  -- noqa: RF04
        page_url,
        incident_id,
        case when page_url is null then 'site' else 'page' end as scope,
        cast({{ dbt.dateadd('day', -days, 'annotation_date') }} as date) as before_start_date,
        cast({{ dbt.dateadd('day', -1, 'annotation_date') }} as date) as before_end_date,
        cast({{ dbt.dateadd('day', 1, 'annotation_date') }} as date) as after_start_date,
        cast({{ dbt.dateadd('day', days, 'annotation_date') }} as date) as after_end_date
    from {{ ref('stg_clarity__annotations') }}

),

signals as (

    {%- for signal in clarity_signals() %}
    {% if not loop.first %}union all
    {% endif %}select '{{ signal.key }}' as signal  -- noqa: RF04
    {%- endfor %}

),

-- the latest date each project has a site value for: is the after window over yet
latest as (

    select
        project,
        max(activity_date) as latest_date
    from {{ ref('fct_signal_daily') }}
    where scope = 'site'
    group by project

),

-- the daily counts of each annotation's scope inside its two windows (the date itself out)
sided as (

    select
        annotations.annotation_id,
        daily.signal,
        daily.base_sessions,
        daily.sessions_with_signal,
        case
            when daily.activity_date < annotations.annotation_date then 'before' else 'after'
        end as side,
        coalesce(daily.value_source = 'solved_estimate', false) as is_estimate
    from annotations
    inner join {{ ref('fct_signal_daily') }} as daily
        on
            annotations.project = daily.project
            and annotations.scope = daily.scope
            and (annotations.page_url is null or annotations.page_url = daily.scope_key)
            and annotations.before_start_date <= daily.activity_date
            and annotations.after_end_date >= daily.activity_date
            and annotations.annotation_date <> daily.activity_date

),

summed as (

    select
        annotation_id,
        signal,  -- noqa: RF04
        sum(case when side = 'before' then 1 else 0 end) as days_before,
        sum(case when side = 'before' and is_estimate then 1 else 0 end) as estimated_days_before,
        sum(
            case when side = 'before' and not is_estimate then base_sessions else 0 end
        ) as sessions_before,
        sum(
            case when side = 'before' and not is_estimate then sessions_with_signal else 0 end
        ) as sessions_with_signal_before,
        sum(case when side = 'after' then 1 else 0 end) as days_after,
        sum(case when side = 'after' and is_estimate then 1 else 0 end) as estimated_days_after,
        sum(
            case when side = 'after' and not is_estimate then base_sessions else 0 end
        ) as sessions_after,
        sum(
            case when side = 'after' and not is_estimate then sessions_with_signal else 0 end
        ) as sessions_with_signal_after
    from sided
    group by annotation_id, signal

),

counted as (

    select
        annotations.annotation_id,
        annotations.project,
        annotations.annotation_date,
        annotations.kind,
        annotations.text,
        annotations.page_url,
        annotations.incident_id,
        annotations.scope,
        signals.signal,
        annotations.before_start_date,
        annotations.before_end_date,
        annotations.after_start_date,
        annotations.after_end_date,
        {%- for side in ['before', 'after'] %}
        coalesce(summed.days_{{ side }}, 0) as days_{{ side }},
        coalesce(summed.estimated_days_{{ side }}, 0) as estimated_days_{{ side }},
        cast(coalesce(summed.sessions_{{ side }}, 0) as {{ dbt.type_bigint() }})
            as sessions_{{ side }},
        cast(coalesce(summed.sessions_with_signal_{{ side }}, 0) as {{ dbt.type_bigint() }})
            as sessions_with_signal_{{ side }},
        {%- endfor %}
        coalesce(latest.latest_date >= annotations.after_end_date, false) as after_window_complete
    from annotations
    cross join signals
    left join summed
        on
            annotations.annotation_id = summed.annotation_id
            and signals.signal = summed.signal
    left join latest
        on annotations.project = latest.project

),

rated as (

    select
        *,
        {%- for side in ['before', 'after'] %}
        cast(sessions_with_signal_{{ side }} as {{ double }})
        / nullif(sessions_{{ side }}, 0) as rate_{{ side }},
        {%- endfor %}
        cast(sessions_with_signal_before + sessions_with_signal_after as {{ double }})
        / nullif(sessions_before + sessions_after, 0) as pooled_rate,
        sessions_before >= {{ min_sessions }} as enough_sessions_before,
        sessions_after >= {{ min_sessions }} as enough_sessions_after
    from counted

),

tested as (

    select
        *,
        -- two-proportion z test, pooled variance: null when a side has no session or the
        -- pooled rate is 0 or 1 (no variance to compare against)
        (rate_after - rate_before) / nullif(sqrt(
            pooled_rate * (1 - pooled_rate)
            * (1.0 / nullif(sessions_before, 0) + 1.0 / nullif(sessions_after, 0))
        ), 0) as z
    from rated

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['annotation_id', 'signal']) }} as annotation_effect_id,
        annotation_id,
        project,
        incident_id,

        -- the annotation and what is compared
        annotation_date,
        kind,
        text,  -- noqa: RF04
        scope,
        page_url,
        signal,  -- noqa: RF04
        {{ days }} as effect_days,
        before_start_date,
        before_end_date,
        after_start_date,
        after_end_date,

        -- the days of each side
        days_before,
        estimated_days_before,
        days_after,
        estimated_days_after,
        after_window_complete,

        -- the counts (estimated days excluded) and rates
        sessions_before,
        sessions_with_signal_before,
        sessions_after,
        sessions_with_signal_after,
        rate_before,
        rate_after,
        rate_after - rate_before as rate_change,
        pooled_rate,

        -- the test
        z,
        enough_sessions_before,
        enough_sessions_after,
        case
            when not after_window_complete then 'after_window_incomplete'
            when not (enough_sessions_before and enough_sessions_after) then 'too_few_sessions'
            when z is null then 'no_change'
            when z <= -{{ z_level }} then 'lower'
            when z >= {{ z_level }} then 'higher'
            else 'no_change'
        end as outcome

    from tested

)

select * from final
