{%- set actions = clarity_raw_source('incident_actions', 'clarity_journal') -%}
{%- set text = dbt.type_string() -%}
{%- set timestamp = clarity_type_timestamp_tz() -%}

with

source as (

    {%- if clarity_relation_exists(actions) %}
    select * from {{ actions }}
    {%- else %}
    -- nobody has acted on an incident on this warehouse yet: no action
    select
        cast(null as {{ text }}) as action_id,
        cast(null as {{ text }}) as project,
        cast(null as {{ text }}) as incident_id,
        cast(null as {{ text }}) as action,  -- noqa: RF04
        cast(null as date) as snoozed_until,
        cast(null as {{ text }}) as note,
        cast(null as {{ timestamp }}) as recorded_at,
        cast(null as {{ text }}) as recorded_by
    where 1 = 0
    {%- endif %}

),

renamed as (

    select
        -- ids
        action_id,
        project,
        incident_id,

        -- the decision
        action,  -- noqa: RF04
        cast(snoozed_until as date) as snoozed_until,
        note,

        -- who and when (UTC)
        recorded_at,
        recorded_by

    from source

)

select * from renamed
