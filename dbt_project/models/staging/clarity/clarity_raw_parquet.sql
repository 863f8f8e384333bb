{{ config(
    materialized='clarity_raw_declaration',
    enabled=clarity_raw_parquet_location() != '',
) }}
