-- Every week of fct_page_trends_weekly starts on a Monday (2024-01-01 was one) and ends six
-- days later: guards clarity_score_week_start on every engine.
{%- set a_monday = "cast('2024-01-01' as date)" %}
{%- set days_since_a_monday = dbt.datediff(a_monday, 'week_start_date', 'day') %}
{%- set week_length = dbt.datediff('week_start_date', 'week_end_date', 'day') %}

with

weeks as (

    select
        project,
        page_url,
        week_start_date,
        week_end_date,
        {{ days_since_a_monday }}
            as days_since_a_monday,
        {{ week_length }}
            as days_to_week_end
    from {{ ref('fct_page_trends_weekly') }}

)

select
    project,
    page_url,
    week_start_date,
    week_end_date
from weeks
where
    mod(days_since_a_monday, 7) <> 0
    or days_to_week_end <> 6
