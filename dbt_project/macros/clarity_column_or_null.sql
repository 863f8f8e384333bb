{% macro clarity_column_or_null(relation, column_name, data_type) -%}
    {%- set columns = relation if relation is mapping else clarity_columns_of(relation) -%}
    {%- set found = columns.get(column_name | lower) -%}
    {%- if found is none -%}
        cast(null as {{ data_type }})
    {%- else -%}
        cast({{ adapter.quote(found) }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}


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
