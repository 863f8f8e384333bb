{#- Incremental by snapshot: a run adds the snapshots not built yet and rebuilds the one-day
    windows that may be chosen for a date of the lookback (the choice of older dates does not
    change; two days of margin for the project's time zone), whose chosen_for_date can change. -#}
{{ config(**clarity_incremental_config('snapshot_id', whole_table_on_spark=true)) }}
{%- set lookback_start = clarity_lookback_start('chosen_for_date') %}
with

items as (

    select *
    -- the alias is used by the incremental filter only
    from {{ ref('int_top_list_items') }} as all_items  -- noqa: AL05
    {%- if lookback_start %}
    where
        {{ clarity_snapshot_not_built('all_items') }}
        or (
            all_items.num_of_days = 1
            and cast(all_items.window_start_at as date)
            >= {{ dbt.dateadd('day', -2, lookback_start) }}
        )
    {%- endif %}

),

daily_choice as (

    -- the date fct_top_list_daily gives this one-day window's lists to (at most one)
    select
        snapshot_id,
        activity_date
    from {{ ref('int_periods_chosen_daily') }}
    where dimensions = '' and value_source = 'one_day_window'

),

final as (

    select
        -- ids
        items.top_list_window_id,
        items.snapshot_id,
        items.project,
        items.num_of_days,
        daily_choice.activity_date as chosen_for_date,

        -- the list and the item
        items.list_name,
        items.item_rank,
        items.item,
        items.item_url,
        items.referrer_host,
        items.page_id,

        -- the item's count within the window
        items.sessions,
        items.visits,

        -- window (UTC)
        items.fetched_at,
        items.window_start_at,
        items.window_end_at

    from items
    left join daily_choice
        on items.snapshot_id = daily_choice.snapshot_id

)

select * from final
