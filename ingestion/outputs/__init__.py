"""Stage 6, outputs: what people and tools read from the marts (the published copy, highlights,
the report, notifications, the MCP server), each asking through the named queries of marts.py."""
