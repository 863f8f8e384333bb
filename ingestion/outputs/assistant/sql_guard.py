"""The gate of the `query` tool: one SELECT over the marts, decided on what DuckDB makes of it
(never by matching patterns in the text). It reads only mart tables, information_schema, its own
CTEs and the row generators; anything else is refused with the reason. The connection it then
runs on is read-only with file and network access off (queries.py), so the gate is the first of
two locks, not the only one.

The gate has two layers, because a name as written is not what it binds to: in
`with duckdb_databases as (select * from duckdb_databases) ...` the inner name is DuckDB's catalog
view (a CTE does not see itself), and that view shows the database file's path.

1. `check_select`, on the parse tree (`json_serialize_sql`): one SELECT, no file readers or
   catalog functions, and every table name resolved with DuckDB's scope rule, measured on
   DuckDB 2.0: a CTE sees the CTEs before it, never itself; only in WITH RECURSIVE, and only on
   the recursive side (`right`) of a UNION [ALL] (a RECURSIVE_CTE_NODE), does it see its own name;
   its anchor side, or a recursive CTE without a UNION, binds the name to the catalog. A CTE may
   not take a name of DuckDB's catalog (duckdb_*, pg_*, sqlite_*, pragma_*): in its own body
   and past its WITH that name is the catalog object again.
2. `check_plan`, on the plan DuckDB binds on the very connection the query then runs on
   (`json_serialize_plan`, the bound and not yet optimised logical plan: 1 to 3 ms a query,
   against the tens of milliseconds a tool call takes): every
   relation read (LOGICAL_GET) is a table of this database's schema marts, a row generator, or
   one of the five catalog functions information_schema expands to (no path or setting in any of
   them); no bound function reads a setting. Whatever layer 1 gets wrong, this one sees the
   catalog view the name became.

Measured and left out: EXPLAIN (the optimised physical plan as text for people: optimisations
drop scans and rename them, names come without their schema); `duckdb_dependencies()` (lists
stored objects' dependencies, not a query's); a connection where the catalog is unreachable
(DuckDB's internal views cannot be dropped, `search_path` cannot leave out the system schemas,
and temporary views that shadow them cover neither qualified names, table functions nor macros
such as get_block_size(), which reads pragma_database_size)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from functools import cache
from itertools import accumulate

import duckdb

MAX_SQL_CHARS = 20_000
# levels of the JSON trees checked here (parse tree and plan); deeper ones would overflow
# Python's stack while read. A nested call adds about 2 levels, a nested subquery 4.
MAX_TREE_DEPTH = 600
ALLOWED_SCHEMAS = frozenset({"marts", "information_schema"})
# table functions that only generate rows (files, URLs, catalogs and settings stay out)
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# what information_schema's views read (DuckDB 2.0); none of them shows a path or a setting
INFORMATION_SCHEMA_SOURCES = frozenset(
    {"duckdb_columns", "duckdb_constraints", "duckdb_schemas", "duckdb_tables", "duckdb_views"}
)
# scalar functions that would show the server's settings (paths among them) or environment
REFUSED_FUNCTIONS = frozenset({"current_setting", "getenv"})
# DESCRIBE and SUMMARIZE of a query or a table; SHOW TABLES, SHOW DATABASES ... are refused
ALLOWED_SHOW_TYPES = frozenset({"DESCRIBE", "SUMMARY"})
CATALOG_PREFIXES = ("duckdb_", "pg_", "sqlite_", "pragma_")
SIMPLIFY = (
    "simplify it: fewer nested calls (a CASE instead of nested coalesce), fewer nested "
    "subqueries, or fewer CTEs and joins that build on each other"
)


class RefusedQuery(ValueError):
    """The SQL is not one read-only SELECT over the marts; the message says why."""


class UnboundQuery(ValueError):
    """DuckDB cannot bind the SELECT (a missing column, a wrong type...); the message is
    DuckDB's."""


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


def check_plan(
    con: duckdb.DuckDBPyConnection, statement: str, mart_tables: Collection[str]
) -> None:
    """RefusedQuery unless every relation `statement` binds to on `con` is one of
    `mart_tables` in schema marts of con's database, a row generator or a source of
    information_schema, and no bound function reads a setting; UnboundQuery when DuckDB cannot
    bind it (then it would fail to run the same way)."""
    text, database = con.execute(
        "select json_serialize_plan(?::varchar), current_database()", [statement]
    ).fetchone()
    plan = _load(text, "bound plan")
    if plan.get("error"):
        kind = str(plan.get("error_type") or "binder").replace("_", " ").title()
        raise UnboundQuery(describe_error(f"{kind} Error: {plan.get('error_message', '')}"))
    tables = {name.lower() for name in mart_tables}
    for problem in _plan_problems(plan.get("plans") or [], str(database), tables):
        raise RefusedQuery(f"refused: {problem}")


def describe_error(message: str) -> str:
    """DuckDB's error `message` without its advice to change a setting (SET is refused here);
    past the depth limit, what to do instead."""
    deep = re.search(r"Max expression depth limit of (\d+) exceeded", message)
    if deep:
        return (
            f"the expression is nested too deeply (DuckDB's limit is {int(deep[1]):,} levels); "
            f"{SIMPLIFY}"
        )
    lines = [line for line in message.splitlines() if not re.match(r'Use "?SET ', line.strip())]
    return "\n".join(lines).strip()


def _single_select(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        reason = describe_error(_first_line(exc))
        if reason.startswith("the expression is nested too deeply"):
            raise RefusedQuery(f"refused: {reason}") from None
        raise RefusedQuery(f"the SQL does not parse: {reason}") from None
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
    tree = _load(row[0], "parse tree") if row else {"error": True}
    if tree.get("error"):
        reason = describe_error(str(tree.get("error_message") or "unknown form"))
        raise RefusedQuery(
            f"refused: this form of SELECT cannot be checked ({reason}); write it as a plain "
            "SELECT ... FROM ..."
        )
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise RefusedQuery("refused: send exactly one SELECT")
    return statements[0]


def _load(text: str, tree: str) -> dict:
    """The JSON `text` of a tree, refused when it nests deeper than MAX_TREE_DEPTH (counted
    without recursion, before Python's reader recurses into it)."""
    depth = _json_depth(text)
    if depth <= MAX_TREE_DEPTH:
        try:
            return json.loads(text)
        except RecursionError:  # called on a deep stack already: the same answer
            pass
    raise RefusedQuery(
        f"refused: the query is nested too deeply to check ({depth:,} levels in its {tree}, "
        f"at most {MAX_TREE_DEPTH}); {SIMPLIFY}"
    )


def _json_depth(text: str) -> int:
    brackets = re.sub(r"[^\[\]{}]", "", re.sub(r'"(?:[^"\\]|\\.)*"', "", text))
    return max(accumulate(1 if char in "[{" else -1 for char in brackets), default=0)


@cache
def catalog_names() -> frozenset[str]:
    """The names DuckDB's own catalog answers to unqualified: the views and tables of its
    schemas main and pg_catalog (information_schema's need the schema, so a CTE may be named
    `columns`)."""
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute(
            "select view_name from duckdb_views() "
            "where internal and schema_name in ('main', 'pg_catalog') "
            "union select table_name from duckdb_tables() "
            "where internal and schema_name in ('main', 'pg_catalog')"
        ).fetchall()
    finally:
        con.close()
    return frozenset(row[0].lower() for row in rows)


def is_catalog_name(name: str) -> bool:
    return name.startswith(CATALOG_PREFIXES) or name in catalog_names()


def _problems(tree: dict, tables: set[str]) -> Iterator[str]:
    """Every reason to refuse found in the parse tree, depth first; each node is visited with
    the CTE names it sees (walked with a stack: a deep tree cannot overflow Python's)."""
    stack: list[tuple[object, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, list):
            stack.extend((item, scope) for item in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        problem = _node_problem(node, tables, scope)
        if problem:
            yield problem
        children: list[tuple[object, frozenset[str]]] = []
        for entry in (node.get("cte_map") or {}).get("map") or []:
            name = str(entry.get("key", "")).lower()
            if is_catalog_name(name):
                yield (
                    f"the CTE name {name} is a name of DuckDB's own catalog; rename the CTE "
                    f"(names starting {', '.join(CATALOG_PREFIXES)} are DuckDB's)"
                )
            children.append((entry.get("value"), scope))  # a CTE does not see itself
            scope = scope | {name}  # the CTEs after it and the query body do
        recursive = node.get("type") == "RECURSIVE_CTE_NODE"
        for key, value in node.items():
            if key == "cte_map":
                continue
            if recursive and key == "right":  # the recursive side sees the CTE
                children.append((value, scope | {str(node.get("cte_name", "")).lower()}))
            else:
                children.append((value, scope))
        stack.extend(reversed(children))


def _node_problem(node: dict, tables: set[str], scope: frozenset[str]) -> str | None:
    kind = node.get("type")
    if kind == "BASE_TABLE":
        return _table_problem(node, tables, scope)
    if kind == "TABLE_FUNCTION":
        return _table_function_problem(node.get("function") or {})
    if kind == "SHOW_REF" and (
        node.get("show_type") not in ALLOWED_SHOW_TYPES or node.get("table_name")
    ):
        return (
            "SHOW statements are not available; read information_schema.tables or "
            "information_schema.columns (where table_schema = 'marts')"
        )
    if node.get("class") == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        if name in REFUSED_FUNCTIONS:
            return f"the function {name}() is not available here (it reads the server's settings)"
    return None


def _table_problem(node: dict, tables: set[str], scope: frozenset[str]) -> str | None:
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


def _plan_problems(plans: list, database: str, tables: set[str]) -> Iterator[str]:
    """Every relation or function of the bound plan that is not allowed, depth first."""
    stack: list[object] = [plans]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        path = tuple(str(part) for part in (node.get("qname") or {}).get("path") or ())
        if node.get("type") == "LOGICAL_GET":
            problem = _source_problem(path, node.get("function_data") or {}, database, tables)
            if problem:
                yield problem
        elif node.get("expression_class") == "BOUND_FUNCTION" and path:
            if path[-1].lower() in REFUSED_FUNCTIONS:
                yield f"the function {path[-1]}() is not available here (it reads the settings)"
        stack.extend(reversed(list(node.values())))


def _source_problem(
    path: tuple[str, ...], data: dict, database: str, tables: set[str]
) -> str | None:
    if path == ("seq_scan",):
        where = tuple(str(data.get(key) or "") for key in ("catalog", "schema", "table"))
        if where[:2] == (database, "marts") and where[2].lower() in tables:
            return None
        return f"the query reads {'.'.join(where)}; only the tables of the marts schema can be read"
    name = path[-1].lower() if path else "?"
    if path[:-1] == ("system", "main") and (
        name in ALLOWED_TABLE_FUNCTIONS or name in INFORMATION_SCHEMA_SOURCES
    ):
        return None
    return (
        f"the query reads {'.'.join(path) or 'an unnamed source'}, DuckDB's own catalog or "
        "settings, not the marts (a CTE or a function named like a catalog view reaches it); "
        "read the marts tables, or information_schema for the list of tables and columns"
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
