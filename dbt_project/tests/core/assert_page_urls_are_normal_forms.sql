-- Normalising an already normalised page URL changes nothing (macro clarity_normalize_url is
-- idempotent), so dim_pages holds each page once, in its normal form.
select
    project,
    page_url,
    {{ clarity_normalize_url('page_url') }} as normalised_again
from {{ ref('dim_pages') }}
where page_url <> {{ clarity_normalize_url('page_url') }}
