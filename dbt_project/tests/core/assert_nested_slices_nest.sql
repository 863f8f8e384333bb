-- Nested windows that did not nest: a slice (a 2-day minus a 1-day window asked back to back,
-- or 3-day minus 2-day) with a count below zero in some scope. Such a slice is not used for a
-- daily value (int_window_days_overlapped); this test says it happened, as a warning: the data
-- is what the API sent, and nothing wrong was written. Docs block clarity_nested_recovery.
{{ config(severity='warn') }}

select
    slices.slice_id,
    slices.project,
    slices.dimensions,
    slices.fetched_at,
    count(*) as scopes_below_zero
from {{ ref('int_nested_windows_paired') }} as slices
inner join {{ ref('int_nested_slice_metrics') }} as metrics
    on slices.slice_id = metrics.slice_id
where metrics.is_negative
group by
    slices.slice_id,
    slices.project,
    slices.dimensions,
    slices.fetched_at
