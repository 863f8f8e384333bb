{#- Incremental by date: the lookback's dates are deleted first (a pre-hook) and rebuilt, since a
    date whose one-day window stops being chosen must lose its lists, which delete+insert alone
    would keep (it replaces the dates it inserts). -#}
{{ config(**clarity_incremental_config(
    ['project', 'activity_date'], delete_lookback_of='activity_date'
)) }}
with

chosen as (

    -- top lists are not additive: only a date whose value comes from a one-day window has
    -- lists (never a nested difference or a solved period)
    select
        project,
        activity_date,
        snapshot_id,
        value_source,
        day_coverage
    from {{ ref('int_periods_chosen_daily') }}
    where
        dimensions = ''
        and value_source = 'one_day_window'
        and {{ clarity_date_not_built('activity_date') }}

),

lists as (

    select
        snapshot_id,
        list_name,
        item_rank,
        item,
        item_url,
        referrer_host,
        page_id,
        sessions,
        visits,
        fetched_at,
        window_start_at,
        window_end_at
    from {{ ref('fct_top_list_windows') }}
    where num_of_days = 1

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key([
            'chosen.project', 'chosen.activity_date', 'lists.list_name', 'lists.item_rank',
        ]) }} as top_list_day_id,
        chosen.project,
        chosen.activity_date,
        lists.list_name,
        lists.item_rank,
        chosen.snapshot_id,
        chosen.value_source,
        chosen.day_coverage,

        -- the item and its count within the day's window
        lists.item,
        lists.item_url,
        lists.referrer_host,
        lists.page_id,
        lists.sessions,
        lists.visits,

        -- the 24-hour period the list describes (UTC)
        lists.window_start_at,
        lists.window_end_at,
        lists.fetched_at

    from chosen
    inner join lists
        on chosen.snapshot_id = lists.snapshot_id

)

select * from final
