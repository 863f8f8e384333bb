-- No URL column of staging, intermediate or marts, and no stored error message, holds the value
-- of a secret-looking parameter in any form (query, fragment, path parameter, percent-encoded,
-- HTML-escaped) or user info: masking (macro clarity_mask_secret_params) would change any such
-- value. Normalised page URLs hold no path parameter either. The raw rows and the pivot are
-- checked over recent snapshots on an incremental build, over all history on a full refresh
-- (macro clarity_recent_condition).
with

-- the raw rows are read once for both of their URL columns
metric_rows as (

    select
        page_url_raw,
        item_name
    from {{ ref('stg_clarity__metric_rows') }}
    where {{ clarity_recent_condition('snapshot_id') }}

),

urls as (

    select
        'stg_clarity__metric_rows.page_url_raw' as found_in,
        page_url_raw as url
    from metric_rows
    where page_url_raw is not null
    union all
    select
        'stg_clarity__metric_rows.item_name' as found_in,
        item_name as url
    from metric_rows
    where item_name is not null
    union all
    select
        'int_snapshot_metrics_pivoted.page_url_raw' as found_in,
        page_url_raw as url
    from {{ ref('int_snapshot_metrics_pivoted') }}
    where
        page_url_raw is not null
        and {{ clarity_recent_condition('fetched_at') }}
    union all
    select
        'dim_pages.page_url' as found_in,
        page_url as url
    from {{ ref('dim_pages') }}
    union all
    select
        'stg_clarity__requests.error_message' as found_in,
        error_message as url
    from {{ ref('stg_clarity__requests') }}
    where error_message is not null

)

select
    found_in,
    url
from urls
where
    url <> {{ clarity_mask_secret_params('url') }}
    or (found_in = 'dim_pages.page_url' and position(';' in split_part(url, '?', 1)) > 0)
