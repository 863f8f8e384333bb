{#- The column cast to `data_type` if `relation` has it, else a null of that type.
    dlt only creates a raw column once some row carried a non-null value for it, so a key the
    API has never sent (e.g. distantUserCount) has no column yet. -#}
{% macro clarity_column_or_null(relation, column_name, data_type) -%}
    {%- set wanted = column_name | lower -%}
    {%- set ns = namespace(found=none) -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower == wanted -%}
                {%- set ns.found = column.name -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if ns.found is none -%}
        cast(null as {{ data_type }})
    {%- else -%}
        cast({{ adapter.quote(ns.found) }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
