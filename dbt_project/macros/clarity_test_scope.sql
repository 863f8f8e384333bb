{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- if '__clarity_recent_' in where -%}
        {%- set where = where
            | replace('__clarity_recent_snapshots__', clarity_recent_condition('snapshot_id'))
            | replace('__clarity_recent_loads__', clarity_recent_condition('dlt_load_id'))
            | replace('__clarity_recent_fetched_at__', clarity_recent_condition('fetched_at'))
            | replace('__clarity_recent_dates__', clarity_recent_condition('activity_date')) -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
{%- endmacro %}


{% macro clarity_recent_condition(column, load_column='dlt_load_id') -%}
    {#- the raw table, not the staging view: it exists before any model is built, and a test's
        `where` is rendered too late for dbt to record a ref() as a dependency -#}
    {%- set snapshots = source('clarity_raw', 'snapshots') -%}
    {%- if flags.FULL_REFRESH or var('clarity_test_all_history', false) -%}
        1 = 1
    {%- else -%}
        {%- set cutoff -%}
            (
                select {{ dbt.dateadd(
                    'day', -1 * var('clarity_test_recent_days', 7), 'max(newest.fetched_at)'
                ) }}
                from {{ snapshots }} as newest
            )
        {%- endset -%}
        {%- if column == 'snapshot_id' -%}
            {#- the load ids repeat the condition in a form the scan can use to skip the row
                groups of older loads (a snapshot's rows are written in its own load) -#}
            snapshot_id in (
                select recent.snapshot_id
                from {{ snapshots }} as recent
                where recent.fetched_at >= {{ cutoff }}
            )
            and {{ clarity_recent_condition('dlt_load_id', load_column) }}
        {%- elif column == 'dlt_load_id' -%}
            {{ load_column }} in (
                select recent._dlt_load_id
                from {{ snapshots }} as recent
                where recent.fetched_at >= {{ cutoff }}
            )
        {%- elif column == 'fetched_at' -%}
            fetched_at >= {{ cutoff }}
        {%- elif column == 'activity_date' -%}
            {#- a date of the project's time zone: one day earlier than the UTC cutoff's date, so
                that no zone west of UTC loses a date of the window -#}
            activity_date >= (
                select cast({{ dbt.dateadd(
                    'day', -1 - var('clarity_test_recent_days', 7), 'max(newest.fetched_at)'
                ) }} as date)
                from {{ snapshots }} as newest
            )
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "clarity_recent_condition: column must be 'snapshot_id', 'dlt_load_id', "
                ~ "'fetched_at' or 'activity_date', got '"
                ~ column ~ "'"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
