{#- One row per project, page and ISO week (Monday start): the week's sessions, recombined
    signal rates and frustration score, and the change from the previous calendar week.
    Docs blocks: clarity_iso_week, clarity_frustration_score, clarity_week_over_week. -#}
{%- set signals = clarity_signals() | map(attribute='key') | list -%}

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

page_weeks as (

    select
        project,
        page_url,
        {{ clarity_score_week_start('activity_date') }} as week_start_date,
        count(*) as days_with_data,
        {% for signal in signals -%}
        {{ clarity_safe_divide(
            'sum(' ~ signal ~ '_sessions)', 'sum(' ~ signal ~ '_base_sessions)'
        ) }} as {{ signal }}_rate,
        {% endfor -%}
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions
    from page_daily
    group by
        project,
        page_url,
        {{ clarity_score_week_start('activity_date') }}

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

weights as (

    {{ clarity_score_weights() }}

),

scored as (

    select
        page_weeks.project,
        page_weeks.page_url,
        page_weeks.week_start_date,
        page_weeks.days_with_data,
        project_weeks.project_days_with_data,
        page_weeks.sessions,
        {% for signal in signals -%}
        page_weeks.{{ signal }}_rate,
        {% endfor -%}
        {{ clarity_score('page_weeks.{signal}_rate') }} as score
    from page_weeks
    inner join project_weeks
        on
            page_weeks.project = project_weeks.project
            and page_weeks.week_start_date = project_weeks.week_start_date
    cross join weights

),

-- the previous calendar week of the same page, when it has data
compared as (

    select
        this_week.project,
        this_week.page_url,
        this_week.week_start_date,
        this_week.days_with_data,
        this_week.project_days_with_data,
        this_week.sessions,
        {% for signal in signals -%}
        this_week.{{ signal }}_rate,
        {% endfor -%}
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
        project_days_with_data,
        project_days_with_data = 7 as is_complete_week,
        sessions,
        {% for signal in signals -%}
        {{ signal }}_rate,
        {% endfor -%}
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

)

select * from final
