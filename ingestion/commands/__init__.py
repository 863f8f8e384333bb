"""The commands of `clarity`, one module each (ingestion/cli.py builds the parser and
dispatches): `HELP` and `add_arguments(parser)` for the parser, a pure function that does the
work and returns a result, and `main(args) -> int` that calls it and prints. A command module
imports the slow libraries (dlt, Great Expectations, DuckDB, pandas, the MCP SDK) only when it
runs, so that `clarity --help` starts in a blink."""
