-- fct_site_daily and fct_collection_daily agree: a date has a site row exactly when the
-- collection report says it is not missing, and both name the same chosen snapshot.
with

site_days as (

    select
        project,
        activity_date,
        snapshot_id
    from {{ ref('fct_site_daily') }}

),

collection_days as (

    select
        project,
        activity_date,
        site_snapshot_id
    from {{ ref('fct_collection_daily') }}
    where not is_missing

)

select
    coalesce(site_days.project, collection_days.project) as project,
    coalesce(site_days.activity_date, collection_days.activity_date) as activity_date,
    site_days.snapshot_id,
    collection_days.site_snapshot_id
from site_days
full outer join collection_days
    on
        site_days.project = collection_days.project
        and site_days.activity_date = collection_days.activity_date
where
    site_days.snapshot_id is null
    or collection_days.site_snapshot_id is null
    or site_days.snapshot_id <> collection_days.site_snapshot_id
