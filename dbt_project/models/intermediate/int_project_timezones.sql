with

known as (

    select project from {{ ref('stg_clarity__snapshots') }}
    union
    select project from {{ ref('stg_clarity__requests') }}
    union
    select project from {{ ref('stg_clarity__projects') }}

),

final as (

    select
        known.project,
        coalesce(configured.timezone, 'UTC') as timezone,  -- noqa: RF04
        configured.clarity_project_id,
        configured.project is not null as is_configured
    from known
    left join {{ ref('stg_clarity__projects') }} as configured
        on known.project = configured.project

)

select * from final
