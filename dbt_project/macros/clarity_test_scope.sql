{#- Data tests on the largest tables (raw metric rows, the snapshot pivot) grow with history, so
    on an incremental build they check only the recent data: the snapshots fetched in the last
    var('clarity_test_recent_days') days before the newest fetch. A build with --full-refresh,
    or with --vars '{clarity_test_all_history: true}' (e.g. a weekly scheduled build), checks all
    of it. A test opts in with a placeholder in its `where` config:
      __clarity_recent_snapshots__   raw metric rows of a recent snapshot
      __clarity_recent_loads__       raw metric rows written by a load that wrote a recent
                                     snapshot (for tests of snapshot_id itself: an orphan or a
                                     null snapshot_id has no recent snapshot, but has a load)
      __clarity_recent_fetched_at__  rows whose fetched_at is recent
    dbt renders `where` before custom macros are available, so the placeholders are replaced
    here, in dbt's documented override point for the `where` of generic tests. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- if '__clarity_recent_' in where -%}
        {%- set where = where
            | replace('__clarity_recent_snapshots__', clarity_recent_condition('snapshot_id'))
            | replace('__clarity_recent_loads__', clarity_recent_condition('dlt_load_id'))
            | replace('__clarity_recent_fetched_at__', clarity_recent_condition('fetched_at')) -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
{%- endmacro %}


{#- A condition that keeps the rows of recent snapshots, or `1 = 1` when the build checks all
    history. `column`: 'snapshot_id' for staging metric rows (their snapshot_id and dlt_load_id),
    'dlt_load_id' for their load only, 'fetched_at' for a model with a fetched_at column. Also
    used directly by singular tests. -#}
{% macro clarity_recent_condition(column) -%}
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
            and {{ clarity_recent_condition('dlt_load_id') }}
        {%- elif column == 'dlt_load_id' -%}
            dlt_load_id in (
                select recent._dlt_load_id
                from {{ snapshots }} as recent
                where recent.fetched_at >= {{ cutoff }}
            )
        {%- elif column == 'fetched_at' -%}
            fetched_at >= {{ cutoff }}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "clarity_recent_condition: column must be 'snapshot_id', 'dlt_load_id' or "
                ~ "'fetched_at', got '"
                ~ column ~ "'"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
