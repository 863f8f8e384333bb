{%- set dimension_columns = [
    'page_url_raw', 'device', 'browser', 'os', 'country', 'source', 'medium', 'campaign',
    'channel',
] -%}
{%- set exact_counts = ['sessions', 'bot_sessions']
    + clarity_signal_columns(['base_sessions']) -%}
{%- set rounded_counts = ['page_views'] + clarity_signal_columns(['sessions']) -%}
{%- set bigint = dbt.type_bigint() -%}

with

slices as (

    select
        slice_id,
        snapshot_id,
        subtracted_snapshot_id
    from {{ ref('int_nested_windows_paired') }}

),

scopes as (

    -- the rows of both windows of every slice, each window's side marked by its sign
    select
        slices.slice_id,
        case when pivoted.snapshot_id = slices.snapshot_id then 1 else -1 end as sign,
        {{ clarity_surrogate_key(dimension_columns) }} as scope_key,
        pivoted.page_url,
        pivoted.{{ dimension_columns | join(',\n        pivoted.') }},
        {%- for column in exact_counts + rounded_counts %}
        coalesce(pivoted.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from slices
    inner join {{ ref('int_snapshot_metrics_pivoted') }} as pivoted
        on pivoted.snapshot_id in (slices.snapshot_id, slices.subtracted_snapshot_id)

),

differenced as (

    select
        slice_id,
        scope_key,
        max(page_url) as page_url,
        {%- for column in dimension_columns %}
        max({{ column }}) as {{ column }},
        {%- endfor %}
        {%- for column in exact_counts + rounded_counts %}
        sum(sign * {{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from scopes
    group by slice_id, scope_key

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['slice_id', 'scope_key']) }} as slice_scope_id,
        slice_id,

        -- scope
        {{ dimension_columns | join(',\n        ') }},
        page_url,

        -- additive measures of the slice (a rounding's -1 read as 0, and sessions with a
        -- signal never more than the sessions its block counted)
        {%- for column in exact_counts %}
        cast({{ column }} as {{ bigint }}) as {{ column }},
        {%- endfor %}
        cast(greatest(page_views, 0) as {{ bigint }}) as page_views,
        {%- for signal in clarity_signals() %}
        cast(
            least(
                greatest({{ signal.key }}_sessions, 0),
                greatest({{ signal.key }}_base_sessions, 0)
            ) as {{ bigint }}
        ) as {{ signal.key }}_sessions,
        {%- endfor %}

        -- did the windows nest in this scope?
        (
            {%- for column in exact_counts %}
            {{ column }} < 0 or
            {%- endfor %}
            {%- for column in rounded_counts %}
            {{ column }} < -1{% if not loop.last %} or{% endif %}
            {%- endfor %}
        ) as is_negative

    from differenced

)

select * from final
