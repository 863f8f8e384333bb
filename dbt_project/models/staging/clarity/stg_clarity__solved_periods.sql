{%- set solved = clarity_raw_source('solved_periods', 'clarity_solved') -%}
{%- set dimension_columns = [
    'url', 'device', 'browser', 'os', 'country', 'source', 'medium', 'campaign', 'channel',
] -%}
{%- set text = dbt.type_string() -%}
{%- set double = clarity_type_double() -%}
{%- set timestamp = clarity_type_timestamp_tz() -%}

with

source as (

    {%- if clarity_relation_exists(solved) %}
    select * from {{ solved }}
    {%- else %}
    -- no solve has run on this warehouse yet: no solved period
    select
        cast(null as {{ text }}) as project,
        cast(null as {{ text }}) as dimensions,
        cast(null as {{ dbt.type_bigint() }}) as block,
        cast(null as {{ timestamp }}) as period_start,
        cast(null as {{ timestamp }}) as period_end,
        {%- for column in dimension_columns %}
        cast(null as {{ text }}) as {{ column }},
        {%- endfor %}
        cast(null as {{ text }}) as measure,
        cast(null as {{ double }}) as value,  -- noqa: RF04
        cast(null as {{ double }}) as error,
        cast(null as {{ text }}) as kind,
        cast(null as {{ timestamp }}) as solved_at
    where 1 = 0
    {%- endif %}

),

renamed as (

    select
        -- ids
        {{ clarity_surrogate_key([
            'project', 'dimensions',
            clarity_epoch_seconds('period_start'), clarity_epoch_seconds('period_end'),
        ]) }} as period_id,
        project,
        coalesce(dimensions, '') as dimensions,
        cast(block as {{ dbt.type_bigint() }}) as solver_block,

        -- the series: dimension values as received (a URL without its query), secrets masked
        {{ clarity_mask_secret_params('url') }} as page_url_raw,
        device,
        browser,
        os,
        country,
        source,
        medium,
        campaign,
        channel,

        -- the solved value
        measure,
        cast(value as {{ double }}) as solved_value,
        cast(error as {{ double }}) as solved_error,
        kind as solved_kind,

        -- timestamps (UTC)
        period_start as period_start_at,
        period_end as period_end_at,
        solved_at

    from source

)

select * from renamed
