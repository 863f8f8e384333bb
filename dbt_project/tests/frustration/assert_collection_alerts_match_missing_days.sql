-- One collection alert per project day that fct_collection_daily marks missing (except the
-- dates still awaiting collection), and no other.
with

missing as (

    select
        project,
        activity_date
    from {{ ref('fct_collection_daily') }}
    where
        is_missing
        and coalesce(missing_reason, '') <> 'awaiting_collection'

),

alerted as (

    select
        project,
        activity_date
    from {{ ref('fct_alerts') }}
    where scope = 'collection'

)

select
    coalesce(missing.project, alerted.project) as project,
    coalesce(missing.activity_date, alerted.activity_date) as activity_date,
    missing.project is not null as is_missing,
    alerted.project is not null as is_alerted
from missing
full outer join alerted
    on
        missing.project = alerted.project
        and missing.activity_date = alerted.activity_date
where missing.project is null or alerted.project is null
