"""Stage 4, quality: the Great Expectations checkpoint on what was just loaded, and the coverage of
the dbt project's tests."""
