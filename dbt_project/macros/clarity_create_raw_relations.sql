{% macro clarity_raw_parquet_location() -%}
    {{ return((env_var('CLARITY_RAW_PARQUET', '') | trim).rstrip('/')) }}
{%- endmacro %}


{% macro clarity_raw_source(table_name, source_name='clarity_raw') -%}
    {%- if clarity_raw_parquet_location() -%}
        {%- do ref('clarity_raw_parquet') -%}
    {%- endif -%}
    {{ return(source(source_name, table_name)) }}
{%- endmacro %}


{#- The materialization of clarity_raw_parquet: runs the declarations, creates nothing of its
    own. -#}
{% materialization clarity_raw_declaration, default -%}
    {{ run_hooks(pre_hooks) }}
    {%- set declared = clarity_create_raw_relations() -%}
    {%- call noop_statement('main', 'DECLARED ' ~ declared, 'DECLARED', declared) -%}
    {%- endcall -%}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': []}) }}
{%- endmaterialization %}


{% macro clarity_create_raw_relations() -%}
    {%- set location = clarity_raw_parquet_location() -%}
    {%- if "'" in location or '\\' in location -%}
        {{ exceptions.raise_compiler_error(
            'CLARITY_RAW_PARQUET must not contain quotes or backslashes: ' ~ location
        ) }}
    {%- endif -%}
    {#- the solved store and the journal sit beside the raw history: <parent>/clarity_solved,
        <parent>/clarity_journal -#}
    {%- set locations = {
        'clarity_raw': location,
        'clarity_solved': location.rsplit('/', 1)[0] ~ '/clarity_solved',
        'clarity_journal': location.rsplit('/', 1)[0] ~ '/clarity_journal',
    } -%}
    {%- set ns = namespace(declared=0) -%}
    {%- for source_name, folder in locations.items() -%}
        {%- set tables = [] -%}
        {%- for node in graph.sources.values() if node.source_name == source_name -%}
            {%- do tables.append(node.identifier) -%}
        {%- endfor -%}
        {%- do adapter.dispatch('clarity_create_raw_relations', 'clarity')(
            folder, source_name, tables | sort
        ) -%}
        {%- set ns.declared = ns.declared + tables | length -%}
    {%- endfor -%}
    {{ return(ns.declared) }}
{%- endmacro %}


{% macro default__clarity_create_raw_relations(location, schema, tables) -%}
    {{ exceptions.raise_compiler_error(
        'CLARITY_RAW_PARQUET is not supported on ' ~ target.type
        ~ ': unset it (the raw tables are the loader\'s) or use the duckdb or spark target'
    ) }}
{%- endmacro %}


{% macro duckdb__clarity_create_raw_relations(location, schema, tables) -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- for table in tables -%}
        {#- a folder with no file yet (a journal nobody wrote to, in a bucket no ingest has
            reached since) is not declared: its staging model reads it as empty -#}
        {%- set files = run_query(
            "select count(*) from glob('" ~ location ~ '/' ~ table ~ "/*.parquet')"
        ) -%}
        {%- if files.columns[0].values()[0] > 0 -%}
            {%- do run_query(
                'create or replace view ' ~ schema ~ '.' ~ table ~ ' as select * from read_parquet('
                ~ "'" ~ location ~ '/' ~ table ~ "/*.parquet', union_by_name = true)"
            ) -%}
            {%- do clarity_cache_declared(schema, table, 'view') -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{% macro spark__clarity_create_raw_relations(location, schema, tables) -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- for table in tables -%}
        {%- set relation = schema ~ '.' ~ table -%}
        {%- set folder = location ~ '/' ~ table -%}
        {%- if adapter.get_relation(database=none, schema=schema, identifier=table) is not none -%}
            {%- set described = {} -%}
            {%- for row in run_query('describe table extended ' ~ relation) -%}
                {%- do described.update({(row[0] or '') | trim: (row[1] or '') | trim}) -%}
            {%- endfor -%}
            {%- set existing = described.get('Location', '') -%}
            {#- the metastore qualifies a path (file:/abs/...): compare what follows the scheme -#}
            {%- if described.get('Type', '') | upper != 'EXTERNAL'
                or not existing.rstrip('/').endswith(folder.split(':', 1)[-1].lstrip('/.')) -%}
                {{ exceptions.raise_compiler_error(
                    relation ~ ' already exists (' ~ described.get('Type', '?') ~ ' table at '
                    ~ existing ~ '), not an external table over ' ~ folder
                    ~ ': drop it, or unset CLARITY_RAW_PARQUET to read it as it is'
                ) }}
            {%- endif -%}
            {%- do run_query('drop table ' ~ relation) -%}
        {%- endif -%}
        {%- do run_query(
            'create table ' ~ relation ~ " using parquet options (mergeSchema 'true') location '"
            ~ folder ~ "'"
        ) -%}
        {%- do clarity_cache_declared(schema, table, 'table') -%}
    {%- endfor -%}
{%- endmacro %}


{#- A declared relation into dbt's relation cache: the cache was filled when the run started, and
    a model that asks whether the relation exists (clarity_relation_exists) must see it in the
    same run, the first one included. -#}
{% macro clarity_cache_declared(schema, table, type) -%}
    {%- do adapter.cache_added(api.Relation.create(
        database=target.database if target.type != 'spark' else none,
        schema=schema,
        identifier=table,
        type=type,
    )) -%}
{%- endmacro %}
