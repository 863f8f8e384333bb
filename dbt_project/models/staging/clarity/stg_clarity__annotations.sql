{%- set annotations = clarity_raw_source('annotations', 'clarity_journal') -%}
{%- set text = dbt.type_string() -%}
{%- set timestamp = clarity_type_timestamp_tz() -%}

with

source as (

    {%- if clarity_relation_exists(annotations) %}
    select * from {{ annotations }}
    {%- else %}
    -- nobody has annotated on this warehouse yet: no annotation
    select
        cast(null as {{ text }}) as annotation_id,
        cast(null as {{ text }}) as project,
        cast(null as date) as annotation_date,
        cast(null as {{ text }}) as kind,
        cast(null as {{ text }}) as text,  -- noqa: RF04
        cast(null as {{ text }}) as page_url,
        cast(null as {{ text }}) as incident_id,
        cast(null as {{ timestamp }}) as recorded_at,
        cast(null as {{ text }}) as recorded_by
    where 1 = 0
    {%- endif %}

),

renamed as (

    select
        -- ids
        annotation_id,
        project,
        incident_id,

        -- what and where (a page normalised like every page_url; null: the whole site)
        cast(annotation_date as date) as annotation_date,
        kind,
        text,  -- noqa: RF04
        case
            when nullif(trim(page_url), '') is not null
                then {{ clarity_normalize_url(clarity_mask_secret_params('page_url')) }}
        end as page_url,
        {{ clarity_mask_secret_params('page_url') }} as page_url_raw,

        -- who and when (UTC)
        recorded_at,
        recorded_by

    from source

)

select * from renamed
