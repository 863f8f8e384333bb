{#- One row per project known to the warehouse (from its snapshots, its requests or its
    settings): the time zone whose calendar days its daily values use. A project the loader has
    no settings for (an imported archive of another project) uses UTC. -#}
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
        configured.project is not null as is_configured
    from known
    left join {{ ref('stg_clarity__projects') }} as configured
        on known.project = configured.project

)

select * from final
