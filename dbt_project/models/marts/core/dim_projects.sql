with

snapshots as (

    select
        project,
        count(*) as snapshot_count,
        min(fetched_at) as first_fetched_at,
        max(fetched_at) as last_fetched_at
    from {{ ref('stg_clarity__snapshots') }}
    group by project

),

requests as (

    select
        project,
        count(*) as request_count,
        min(requested_at) as first_requested_at,
        max(requested_at) as last_requested_at
    from {{ ref('stg_clarity__requests') }}
    group by project

),

site_days as (

    select
        project,
        count(*) as site_day_count,
        min(activity_date) as first_activity_date,
        max(activity_date) as last_activity_date
    from {{ ref('fct_site_daily') }}
    group by project

),

pages as (

    select
        project,
        count(*) as page_count
    from {{ ref('dim_pages') }}
    group by project

),

projects as (

    select
        project,
        timezone,
        clarity_project_id
    from {{ ref('int_project_timezones') }}

),

final as (

    select
        -- ids
        projects.project,
        projects.timezone,
        projects.clarity_project_id,

        -- collection
        coalesce(snapshots.snapshot_count, 0) as snapshot_count,
        coalesce(requests.request_count, 0) as request_count,
        snapshots.first_fetched_at,
        snapshots.last_fetched_at,
        requests.first_requested_at,
        requests.last_requested_at,

        -- coverage
        coalesce(site_days.site_day_count, 0) as site_day_count,
        site_days.first_activity_date,
        site_days.last_activity_date,
        coalesce(pages.page_count, 0) as page_count

    from projects
    left join snapshots
        on projects.project = snapshots.project
    left join requests
        on projects.project = requests.project
    left join site_days
        on projects.project = site_days.project
    left join pages
        on projects.project = pages.project

)

select * from final
