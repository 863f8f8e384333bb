{{ config(materialized='view') }}

with

solved as (

    select
        period_id,
        project,
        dimensions,
        period_start_at,
        period_end_at,
        solved_kind,
        solved_at
    from {{ ref('stg_clarity__solved_periods') }}

),

final as (

    select
        period_id,
        project,
        dimensions,
        -- exact only when the windows determine every series of the period
        case
            when min(case when solved_kind = 'exact' then 1 else 0 end) = 1
                then 'solved_exact'
            else 'solved_estimate'
        end as value_source,
        min(period_start_at) as period_start_at,
        min(period_end_at) as period_end_at,
        max(solved_at) as solved_at
    from solved
    group by period_id, project, dimensions

)

select * from final
