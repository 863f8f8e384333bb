{#- The column cast to `data_type` if `relation` has it, else a null of that type.
    dlt only creates a raw column once some row carried a non-null value for it, so a key the
    API has never sent (e.g. distantUserCount) has no column yet.
    `relation` may also be the mapping clarity_columns_of(relation) returned: a model that asks
    for many columns reads the relation's columns once instead of once per column. -#}
{% macro clarity_column_or_null(relation, column_name, data_type) -%}
    {%- set columns = relation if relation is mapping else clarity_columns_of(relation) -%}
    {%- set found = columns.get(column_name | lower) -%}
    {%- if found is none -%}
        cast(null as {{ data_type }})
    {%- else -%}
        cast({{ adapter.quote(found) }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}


{#- The columns of `relation` as a mapping lower-cased name -> name (empty while parsing).
    In a dbt unit test the relation is the fixture CTE of a source (`__dbt__cte__<source>__<table>`,
    no graph available); the fixture has the columns of the real source table, so that table is
    the one inspected (the project's source names equal their schemas: clarity_raw). -#}
{% macro clarity_columns_of(relation) -%}
    {%- set columns = {} -%}
    {%- if execute -%}
        {%- set ns = namespace(inspected=relation) -%}
        {%- if relation.is_cte and relation.identifier.startswith('__dbt__cte__') -%}
            {#- `__dbt__cte__<source name>__<table>`; our source names equal their schemas -#}
            {%- set parts = relation.identifier[12:].split('__', 1) -%}
            {%- if parts | length == 2 -%}
                {%- set ns.inspected = api.Relation.create(
                    database=target.database, schema=parts[0], identifier=parts[1]
                ) -%}
            {%- endif -%}
        {%- endif -%}
        {%- for column in adapter.get_columns_in_relation(ns.inspected) -%}
            {%- do columns.update({column.name | lower: column.name}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return(columns) -%}
{%- endmacro %}
