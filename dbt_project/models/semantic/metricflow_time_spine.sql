{#- One row per UTC calendar day from 2020-01-01 to 2039-12-31: the time spine of the semantic
    layer (its `time_spine:` config is in _semantic__models.yml). MetricFlow joins metrics to it
    to fill days without data and to build week, month, quarter and year grains. Portable:
    dbt.date_spine (dbt's cross-database macro), cast to a date on every engine. -#}
{{ config(materialized='table', schema='semantic') }}

with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('2020-01-01' as date)",
        "cast('2040-01-01' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
