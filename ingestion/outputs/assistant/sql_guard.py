"""The gate of the `query` tool: one SELECT over the marts, checked on DuckDB's own parse tree
(never by matching patterns in the text). It reads only mart tables, information_schema, its own
CTEs and the row generators; anything else is refused with the reason. The connection it then
runs on is read-only with file and network access off (queries.py), so the gate is the first of
two locks, not the only one."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import duckdb

MAX_SQL_CHARS = 20_000
ALLOWED_SCHEMAS = frozenset({"marts", "information_schema"})
# table functions that only generate rows (files, URLs, catalogs and settings stay out)
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# scalar functions that would show the server's settings (paths among them) or environment
REFUSED_FUNCTIONS = frozenset({"current_setting", "getenv"})
# DESCRIBE and SUMMARIZE of a query or a table; SHOW TABLES, SHOW DATABASES ... are refused
ALLOWED_SHOW_TYPES = frozenset({"DESCRIBE", "SUMMARY"})


class RefusedQuery(ValueError):
    """The SQL is not one read-only SELECT over the marts; the message says why."""


def check_select(sql: str, mart_tables: Collection[str]) -> str:
    """The one SELECT statement of `sql` (without a trailing semicolon) when it only reads
    `mart_tables` (schema marts, or unqualified), information_schema, its own CTEs and the row
    generators (range, generate_series, unnest); RefusedQuery otherwise."""
    if not sql or not sql.strip():
        raise RefusedQuery("refused: the SQL is empty; send one SELECT over the marts schema")
    if len(sql) > MAX_SQL_CHARS:
        raise RefusedQuery(
            f"refused: the SQL has {len(sql):,} characters, more than {MAX_SQL_CHARS:,}"
        )
    con = duckdb.connect(":memory:")
    try:
        statement = _single_select(con, sql)
        tree = _parse_tree(con, statement)
    finally:
        con.close()
    tables = {name.lower() for name in mart_tables}
    for problem in _problems(tree, tables):
        raise RefusedQuery(f"refused: {problem}")
    return statement


def _single_select(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise RefusedQuery(f"the SQL does not parse: {_first_line(exc)}") from None
    if not statements:
        raise RefusedQuery("refused: no statement found; send one SELECT over the marts schema")
    if len(statements) > 1:
        raise RefusedQuery(
            f"refused: {len(statements)} statements; send exactly one SELECT (no `;` between "
            "statements)"
        )
    statement = statements[0]
    if statement.type == duckdb.StatementType.MULTI:
        raise RefusedQuery(
            "refused: this statement runs as several (PIVOT does); write one plain SELECT (a "
            "pivot as filtered aggregates: count(*) filter (where metric = '...') per column)"
        )
    if statement.type != duckdb.StatementType.SELECT:
        kind = statement.type.name.replace("_", " ")
        raise RefusedQuery(
            f"refused: this is a {kind} statement; only a single SELECT is allowed (the marts "
            "are read-only here: no DDL, DML, ATTACH, COPY, PRAGMA, SET, LOAD or EXPLAIN)"
        )
    return statement.query.strip().rstrip(";").strip()


def _parse_tree(con: duckdb.DuckDBPyConnection, statement: str) -> dict:
    row = con.execute("select json_serialize_sql(?::varchar)", [statement]).fetchone()
    tree = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        reason = tree.get("error_message") or "unknown form"
        raise RefusedQuery(
            f"refused: this form of SELECT cannot be checked ({reason}); write it as a plain "
            "SELECT ... FROM ..."
        )
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise RefusedQuery("refused: send exactly one SELECT")
    return statements[0]


@dataclass
class _Scope:
    """The CTE names visible at a point of the tree (innermost last)."""

    names: list[frozenset[str]] = field(default_factory=list)

    def __contains__(self, name: str) -> bool:
        return any(name in level for level in self.names)


def _problems(node: object, tables: set[str], scope: _Scope | None = None) -> Iterator[str]:
    """Every reason to refuse found in the parse tree `node`, depth first."""
    scope = scope or _Scope()
    if isinstance(node, list):
        for item in node:
            yield from _problems(item, tables, scope)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "BASE_TABLE":
        problem = _table_problem(node, tables, scope)
        if problem:
            yield problem
    elif kind == "TABLE_FUNCTION":
        problem = _table_function_problem(node.get("function") or {})
        if problem:
            yield problem
    elif kind == "SHOW_REF" and (
        node.get("show_type") not in ALLOWED_SHOW_TYPES or node.get("table_name")
    ):
        yield (
            "SHOW statements are not available; read information_schema.tables or "
            "information_schema.columns (where table_schema = 'marts')"
        )
    if node.get("class") == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        if name in REFUSED_FUNCTIONS:
            yield f"the function {name}() is not available here (it reads the server's settings)"
    ctes = (node.get("cte_map") or {}).get("map") or []
    if ctes:
        # a CTE sees itself (recursive) and the CTEs before it; the query body sees them all
        names: list[str] = []
        for entry in ctes:
            names.append(str(entry.get("key", "")).lower())
            inner = _Scope([*scope.names, frozenset(names)])
            yield from _problems(entry.get("value"), tables, inner)
        scope = _Scope([*scope.names, frozenset(names)])
    for key, value in node.items():
        if key != "cte_map":
            yield from _problems(value, tables, scope)


def _table_problem(node: dict, tables: set[str], scope: _Scope) -> str | None:
    catalog = str(node.get("catalog_name") or "")
    schema = str(node.get("schema_name") or "").lower()
    name = str(node.get("table_name") or "")
    shown = ".".join(part for part in (catalog, schema, name) if part)
    if catalog:
        return f"{shown}: name tables as marts.<table>, without a database prefix"
    if not schema:
        if name.lower() in scope or name.lower() in tables:
            return None
        if "/" in name or "." in name or ":" in name:
            return f"'{name}' looks like a file or URL; only the marts tables can be read"
        return (
            f"{name} is not a table of the marts schema (read information_schema.tables "
            "where table_schema = 'marts' for the list)"
        )
    if schema not in ALLOWED_SCHEMAS:
        return f"{shown}: only the schemas marts and information_schema can be read"
    return None


def _table_function_problem(function: dict) -> str | None:
    name = str(function.get("function_name", "")).lower()
    qualified = function.get("schema") or function.get("catalog")
    if name in ALLOWED_TABLE_FUNCTIONS and not qualified:
        return None
    if name.startswith(("read_", "parquet_", "sniff_")) or name in {"glob", "query_table"}:
        return f"{name}() reads files or URLs; only the marts tables can be read"
    return (
        f"the table function {name}() is not available; read the marts tables "
        f"(row generators allowed: {', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))})"
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
