-- The seed clarity_signal_weights has exactly the signals of clarity_signals() (key and API
-- block), once each: a missing weight would make every score null, an extra one be ignored.
{%- set signals = clarity_signals() %}

with

expected as (

    {% for signal in signals -%}
    {% if not loop.first -%}
    union all
    {% endif -%}
    select
        '{{ signal.key }}' as signal_key,
        '{{ signal.block }}' as metric_name
    {% endfor %}
),

seeded as (

    select
        signal as signal_key,
        metric_name,
        count(*) as occurrences
    from {{ ref('clarity_signal_weights') }}
    group by
        signal,
        metric_name

)

select
    coalesce(expected.signal_key, seeded.signal_key) as signal_key,
    coalesce(seeded.occurrences, 0) as occurrences
from expected
full outer join seeded
    on
        expected.signal_key = seeded.signal_key
        and expected.metric_name = seeded.metric_name
where
    expected.signal_key is null
    or seeded.signal_key is null
    or seeded.occurrences <> 1
