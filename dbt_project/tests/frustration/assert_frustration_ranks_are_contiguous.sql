-- Ranks run 1..n without gaps or ties within each project and date, for both windows.
select
    project,
    activity_date,
    count(*) as pages,
    min(frustration_rank_7d) as min_rank_7d,
    max(frustration_rank_7d) as max_rank_7d,
    count(distinct frustration_rank_7d) as ranks_7d,
    min(frustration_rank_28d) as min_rank_28d,
    max(frustration_rank_28d) as max_rank_28d,
    count(distinct frustration_rank_28d) as ranks_28d
from {{ ref('fct_page_frustration_daily') }}
group by
    project,
    activity_date
having
    min(frustration_rank_7d) <> 1
    or max(frustration_rank_7d) <> count(*)
    or count(distinct frustration_rank_7d) <> count(*)
    or min(frustration_rank_28d) <> 1
    or max(frustration_rank_28d) <> count(*)
    or count(distinct frustration_rank_28d) <> count(*)
