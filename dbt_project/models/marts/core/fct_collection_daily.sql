with

zones as (

    select
        project,
        timezone
    from {{ ref('int_project_timezones') }}

),

requests as (

    select
        requests.project,
        requests.dimensions,
        requests.requested_at,
        cast(
            {{ clarity_local_timestamp('requests.requested_at', 'zones.timezone') }} as date
        ) as request_date,
        requests.http_status,
        requests.is_counted_against_quota,
        (
            requests.error_class is not null
            or requests.http_status is null
            or requests.http_status < 200
            or requests.http_status >= 300
        ) as is_failed
    from {{ ref('stg_clarity__requests') }} as requests
    inner join zones
        on requests.project = zones.project

),

request_days as (

    -- count() of a case without else counts the rows where the condition holds
    select
        project,
        request_date as activity_date,
        count(*) as requests,
        count(case when is_failed then 1 end) as failed_requests,
        count(case when http_status = 429 then 1 end) as rate_limited_requests,
        count(
            case when http_status >= 400 and http_status < 500 and http_status <> 429 then 1 end
        ) as client_error_requests,
        count(case when http_status >= 500 then 1 end) as server_error_requests,
        count(case when http_status is null then 1 end) as no_response_requests,
        count(case when is_counted_against_quota then 1 end) as quota_used,
        count(case when is_failed and dimensions = '' then 1 end) as failed_site_requests
    from requests
    group by project, request_date

),

snapshots as (

    select
        snapshots.project,
        snapshots.fetched_at,
        snapshots.dimensions,
        cast(
            {{ clarity_local_timestamp('snapshots.fetched_at', 'zones.timezone') }} as date
        ) as fetch_date
    from {{ ref('stg_clarity__snapshots') }} as snapshots
    inner join zones
        on snapshots.project = zones.project

),

fetch_days as (

    select
        project,
        fetch_date as activity_date,
        count(*) as snapshots_fetched
    from snapshots
    group by project, fetch_date

),

last_site_fetch as (

    select
        project,
        max(fetched_at) as last_site_fetched_at
    from snapshots
    where dimensions = ''
    group by project

),

last_request as (

    select
        project,
        max(requested_at) as last_requested_at
    from requests
    group by project

),

site_windows as (

    select
        project,
        activity_date,
        max(case when num_of_days = 1 then day_coverage end) as best_one_day_coverage,
        max(case when num_of_days > 1 then 1 else 0 end) as has_multi_day_window
    from {{ ref('int_window_days_overlapped') }}
    where dimensions = '' and window_kind = 'snapshot'
    group by project, activity_date

),

chosen_days as (

    select
        project,
        activity_date,
        max(case when dimensions = '' then period_id end) as site_period_id,
        max(case when dimensions = '' then value_source end) as site_value_source,
        max(case when dimensions = '' then day_coverage end) as site_day_coverage,
        count(*) as dimension_sets_with_value
    from {{ ref('int_periods_chosen_daily') }}
    group by project, activity_date

),

dates_seen as (

    select
        project,
        activity_date
    from {{ ref('int_window_days_overlapped') }}
    where window_kind = 'snapshot'
    union all
    select
        project,
        fetch_date as activity_date
    from snapshots
    union all
    select
        project,
        request_date as activity_date
    from requests

),

project_ranges as (

    select
        project,
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from dates_seen
    group by project

),

digits as (

    select 0 as digit
    {%- for digit in range(1, 10) %}
    union all
    select {{ digit }} as digit
    {%- endfor %}

),

day_numbers as (

    -- 0 .. 9999: enough for 27 years of history
    select
        thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + units.digit
            as day_number
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units

),

spine as (

    select
        project_ranges.project,
        cast(
            {{ dbt.dateadd('day', 'day_numbers.day_number', 'project_ranges.first_date') }} as date
        ) as activity_date
    from project_ranges
    inner join day_numbers
        on
            day_numbers.day_number
            <= {{ dbt.datediff('project_ranges.first_date', 'project_ranges.last_date', 'day') }}

),

joined as (

    select
        spine.project,
        spine.activity_date,
        chosen_days.site_period_id,
        chosen_days.site_value_source,
        chosen_days.site_day_coverage,
        coalesce(chosen_days.dimension_sets_with_value, 0) as dimension_sets_with_value,
        site_windows.best_one_day_coverage,
        coalesce(site_windows.has_multi_day_window, 0) = 1 as has_multi_day_window,
        coalesce(next_day.failed_site_requests, 0) > 0 as had_failed_site_request,
        last_site_fetch.last_site_fetched_at,
        last_request.last_requested_at,
        coalesce(request_days.requests, 0) as requests,
        coalesce(request_days.failed_requests, 0) as failed_requests,
        coalesce(request_days.rate_limited_requests, 0) as rate_limited_requests,
        coalesce(request_days.client_error_requests, 0) as client_error_requests,
        coalesce(request_days.server_error_requests, 0) as server_error_requests,
        coalesce(request_days.no_response_requests, 0) as no_response_requests,
        coalesce(request_days.quota_used, 0) as quota_used,
        coalesce(fetch_days.snapshots_fetched, 0) as snapshots_fetched,
        {{ clarity_local_day_start_utc(
            'cast(' ~ dbt.dateadd('day', 1, 'spine.activity_date') ~ ' as date)', 'zones.timezone'
        ) }} as day_end_utc,
        -- a project without any site snapshot yet: its latest request stands in
        {{ clarity_utc_timestamp(
            'coalesce(last_site_fetch.last_site_fetched_at, last_request.last_requested_at)'
        ) }} as last_site_fetched_utc
    from spine
    left join chosen_days
        on
            spine.project = chosen_days.project
            and spine.activity_date = chosen_days.activity_date
    left join site_windows
        on
            spine.project = site_windows.project
            and spine.activity_date = site_windows.activity_date
    left join request_days
        on
            spine.project = request_days.project
            and spine.activity_date = request_days.activity_date
    -- the site request sent the next UTC day is the one whose window would have covered the date
    left join request_days as next_day
        on
            spine.project = next_day.project
            and cast({{ dbt.dateadd('day', 1, 'spine.activity_date') }} as date)
            = next_day.activity_date
    left join fetch_days
        on
            spine.project = fetch_days.project
            and spine.activity_date = fetch_days.activity_date
    left join last_site_fetch
        on spine.project = last_site_fetch.project
    left join last_request
        on spine.project = last_request.project
    inner join zones
        on spine.project = zones.project

),

final as (

    select
        -- ids
        {{ clarity_surrogate_key(['project', 'activity_date']) }} as collection_day_id,
        project,
        activity_date,

        -- daily site value
        site_period_id is null as is_missing,
        case
            when site_period_id is not null then null
            when had_failed_site_request then 'request_failed'
            when last_site_fetched_utc < day_end_utc then 'awaiting_collection'
            when best_one_day_coverage is not null then 'coverage_below_threshold'
            when has_multi_day_window then 'only_multi_day_window'
            else 'not_collected'
        end as missing_reason,
        site_period_id,
        site_value_source,
        -- the chosen period's coverage; for a missing date the best any one-day window reached
        coalesce(site_day_coverage, best_one_day_coverage) as day_coverage,
        dimension_sets_with_value,

        -- collection that UTC day
        requests,
        failed_requests,
        rate_limited_requests,
        client_error_requests,
        server_error_requests,
        no_response_requests,
        quota_used,
        snapshots_fetched

    from joined

)

select * from final
