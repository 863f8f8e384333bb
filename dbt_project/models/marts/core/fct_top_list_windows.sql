with

items as (

    select * from {{ ref('int_top_list_items') }}

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
