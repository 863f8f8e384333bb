"""Stage 5, transform: running the dbt project (dbt_project/) against the warehouse."""
