{#- a raw table written before the loader recorded Clarity project ids has no such column -#}
{%- set raw_columns = adapter.get_columns_in_relation(clarity_raw_source('projects'))
    | map(attribute='name') | map('lower') | list -%}

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
        {% if 'clarity_project_id' in raw_columns -%}
        clarity_project_id,
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as clarity_project_id,
        {%- endif %}

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
        clarity_project_id,
        configured_at
    from renamed
    where row_num = 1

)

select * from latest
