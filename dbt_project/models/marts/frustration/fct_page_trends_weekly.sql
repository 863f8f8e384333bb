{{ config(**clarity_incremental_config(['project', 'week_start_date'])) }}

{#- an incremental run rebuilds the weeks from the one holding the first date the daily models
    rebuild (macro clarity_lookback_start; the newest week already built stands in for their
    newest date, which is no earlier), reading the week before as well (week over week) -#}
{%- set lookback = clarity_lookback_start('week_start_date') -%}
{%- set first_week = clarity_score_week_start(lookback) if lookback else none -%}
{%- set rebuilt = 'week_start_date >= ' ~ first_week if lookback else '1 = 1' -%}
{%- set read = 'activity_date >= ' ~ dbt.dateadd('day', -7, first_week) if lookback else '1 = 1' %}

with

page_daily as (

    select
        project,
        page_url,
        activity_date,
        sessions,
        value_source
    from {{ ref('fct_page_daily') }}
    where {{ read }}

),

page_weeks as (

    select
        project,
        page_url,
        {{ clarity_score_week_start('activity_date') }} as week_start_date,
        count(*) as days_with_data,
        count(case when value_source = 'solved_estimate' then activity_date end)
            as estimated_days,
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions
    from page_daily
    group by
        project,
        page_url,
        {{ clarity_score_week_start('activity_date') }}

),

-- the week's rate of each page and signal, recombined from its days' counts
signal_weeks as (

    select
        project,
        scope_key as page_url,
        {{ clarity_score_week_start('activity_date') }} as week_start_date,
        signal,  -- noqa: RF04
        {{ clarity_safe_divide('sum(sessions_with_signal)', 'sum(base_sessions)') }} as rate
    from {{ ref('fct_signal_daily') }}
    where
        scope = 'page'
        and {{ read }}
    group by
        project,
        scope_key,
        {{ clarity_score_week_start('activity_date') }},
        signal

),

weights as (

    {{ clarity_score_weights() }}

),

-- the rates of each page and week side by side, and their score
signals_scored as (

    select
        signal_weeks.project,
        signal_weeks.page_url,
        signal_weeks.week_start_date,
        {{ clarity_pivot_signals(
            {'rate': 'signal_weeks.rate'}, signal_column='signal_weeks.signal'
        ) }},
        {{ clarity_score('signal_weeks.rate', signal_column='signal_weeks.signal') }} as score
    from signal_weeks
    cross join weights
    group by
        signal_weeks.project,
        signal_weeks.page_url,
        signal_weeks.week_start_date

),

-- days the project has page data in each week: a week is complete with all seven
project_weeks as (

    select
        project,
        {{ clarity_score_week_start('activity_date') }} as week_start_date,
        count(distinct activity_date) as project_days_with_data
    from page_daily
    group by
        project,
        {{ clarity_score_week_start('activity_date') }}

),

scored as (

    select
        page_weeks.project,
        page_weeks.page_url,
        page_weeks.week_start_date,
        page_weeks.days_with_data,
        page_weeks.estimated_days,
        project_weeks.project_days_with_data,
        page_weeks.sessions,
        {{ clarity_signal_columns(['rate'], 'signals_scored.') | join(',\n        ') }},
        signals_scored.score
    from page_weeks
    inner join project_weeks
        on
            page_weeks.project = project_weeks.project
            and page_weeks.week_start_date = project_weeks.week_start_date
    inner join signals_scored
        on
            page_weeks.project = signals_scored.project
            and page_weeks.page_url = signals_scored.page_url
            and page_weeks.week_start_date = signals_scored.week_start_date

),

-- the previous calendar week of the same page, when it has data
compared as (

    select
        this_week.project,
        this_week.page_url,
        this_week.week_start_date,
        this_week.days_with_data,
        this_week.estimated_days,
        this_week.project_days_with_data,
        this_week.sessions,
        {{ clarity_signal_columns(['rate'], 'this_week.') | join(',\n        ') }},
        this_week.score,
        previous_week.sessions as previous_week_sessions,
        previous_week.score as previous_week_score
    from scored as this_week
    left join scored as previous_week
        on
            this_week.project = previous_week.project
            and this_week.page_url = previous_week.page_url
            and previous_week.week_start_date
            = cast({{ dbt.dateadd('day', -7, 'this_week.week_start_date') }} as date)

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['project', 'page_url', 'week_start_date']) }} as page_week_id,
        project,
        page_url,
        week_start_date,
        cast({{ dbt.dateadd('day', 6, 'week_start_date') }} as date) as week_end_date,

        -- the week
        days_with_data,
        estimated_days,
        project_days_with_data,
        project_days_with_data = 7 as is_complete_week,
        sessions,
        {{ clarity_signal_columns(['rate']) | join(',\n        ') }},
        score,

        -- week over week
        previous_week_sessions,
        previous_week_score,
        sessions - previous_week_sessions as sessions_change,
        {{ clarity_safe_divide('sessions - previous_week_sessions', 'previous_week_sessions') }}
            as sessions_change_relative,
        score - previous_week_score as score_change,
        {{ clarity_safe_divide('score - previous_week_score', 'previous_week_score') }}
            as score_change_relative

    from compared
    where {{ rebuilt }}

)

select * from final
