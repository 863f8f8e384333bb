"""`clarity mcp`: the marts for AI assistants over the Model Context Protocol, read-only.
queries.py answers each tool from the published copy, sql_guard.py lets one checked SELECT
through, docs.py serves the dbt docs blocks that say what the numbers mean, and server.py wires
them to the MCP SDK (imported only by `clarity mcp`)."""
