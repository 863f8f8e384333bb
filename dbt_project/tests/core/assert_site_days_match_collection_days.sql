-- fct_site_daily and fct_collection_daily agree: a date has a site row exactly when the
-- collection report says it is not missing, both say where the value comes from alike, and a
-- one-day window's id is the chosen period's.
with

site_days as (

    select
        project,
        activity_date,
        snapshot_id,
        value_source
    from {{ ref('fct_site_daily') }}

),

collection_days as (

    select
        project,
        activity_date,
        site_period_id,
        site_value_source
    from {{ ref('fct_collection_daily') }}
    where not is_missing

)

select
    coalesce(site_days.project, collection_days.project) as project,
    coalesce(site_days.activity_date, collection_days.activity_date) as activity_date,
    site_days.snapshot_id,
    site_days.value_source,
    collection_days.site_period_id,
    collection_days.site_value_source
from site_days
full outer join collection_days
    on
        site_days.project = collection_days.project
        and site_days.activity_date = collection_days.activity_date
where
    site_days.project is null
    or collection_days.project is null
    -- a solved period has no snapshot; every other value has one
    or (site_days.snapshot_id is null and site_days.value_source not like 'solved%')
    or site_days.value_source <> collection_days.site_value_source
    or (
        site_days.value_source = 'one_day_window'
        and site_days.snapshot_id <> collection_days.site_period_id
    )
