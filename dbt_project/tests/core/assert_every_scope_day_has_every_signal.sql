-- fct_signal_daily has each scope and date once per signal of the seed clarity_signal_weights
-- (whose keys are those of clarity_signals()): the wide marts pivot it, so a missing signal row
-- would be a null column there. Recent dates only on an incremental build (macro
-- clarity_recent_condition).
with

signal_count as (

    select count(*) as signals
    from {{ ref('clarity_signal_weights') }}

),

scope_days as (

    select
        project,
        scope,
        dimension,
        scope_key,
        activity_date,
        count(*) as signal_rows
    from {{ ref('fct_signal_daily') }}
    where {{ clarity_recent_condition('activity_date') }}
    group by
        project,
        scope,
        dimension,
        scope_key,
        activity_date

)

select
    scope_days.project,
    scope_days.scope,
    scope_days.dimension,
    scope_days.scope_key,
    scope_days.activity_date,
    scope_days.signal_rows
from scope_days
cross join signal_count
where scope_days.signal_rows <> signal_count.signals
