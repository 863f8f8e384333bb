{#- Only with a Parquet raw layer (env CLARITY_RAW_PARQUET): declares the relations of source
    clarity_raw over the bucket's Parquet folders (views on DuckDB, external tables on Spark;
    macro clarity_create_raw_relations) before the staging models read them. It creates no
    relation of its own. -#}
{{ config(
    materialized='clarity_raw_declaration',
    enabled=clarity_raw_parquet_location() != '',
) }}
