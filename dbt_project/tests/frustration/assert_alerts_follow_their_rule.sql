-- Every signal alert satisfies the rule of docs block clarity_alert_rule with the current vars,
-- and page_url is set exactly for page alerts.
select
    alert_id,
    scope,
    metric,
    observed,
    expected,
    strength,
    sessions,
    baseline_sessions
from {{ ref('fct_alerts') }}
where
    (scope = 'page') <> (page_url is not null)
    or (
        scope in ('site', 'page')
        and (
            sessions < {{ var('clarity_alert_min_sessions', 100) }}
            or baseline_sessions < {{ var('clarity_alert_min_sessions', 100) }}
            or observed <= expected
            or strength < {{ var('clarity_alert_z_threshold', 5.0) }}
            or metric = 'collection'
        )
    )
    or (scope = 'collection' and metric <> 'collection')
