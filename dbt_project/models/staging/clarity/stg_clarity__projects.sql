with

source as (

    select * from {{ clarity_raw_source('projects') }}

),

renamed as (

    select
        -- ids
        project,
        _dlt_load_id as dlt_load_id,

        -- settings
        timezone,

        -- timestamps (UTC)
        configured_at,

        -- the latest row of each project
        row_number() over (
            partition by project
            order by configured_at desc, _dlt_load_id desc, timezone asc
        ) as row_num

    from source

),

latest as (

    select
        project,
        dlt_load_id,
        timezone,
        configured_at
    from renamed
    where row_num = 1

)

select * from latest
