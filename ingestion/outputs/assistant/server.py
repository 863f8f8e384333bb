"""`clarity mcp`: the MCP server (the official SDK's MCPServer). Its tools answer from the
published read-only copy of the marts (queries.py), never from the warehouse file, so a client
never blocks ingestion or dbt and never sees an unmasked URL; its resources are the docs blocks
(docs.py). stdio by default, streamable HTTP on 127.0.0.1 with a port."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import (
    ResourceNotFoundError,
    ToolError,
    UnexpectedToolError,
)
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from ingestion.errors import ConfigurationError
from ingestion.outputs.assistant import docs
from ingestion.outputs.assistant.queries import (
    CONNECTION_CONFIG,
    MAX_DAYS,
    MAX_PAGES,
    MAX_TOP_ITEMS,
    MAX_WEEKS,
    AnswerError,
    Limits,
    PublishedMarts,
)
from ingestion.outputs.marts import (
    DEFAULT_DAYS,
    SEGMENT_DAYS,
    SEGMENT_DIMENSIONS,
    SITE_METRICS,
    TOP_LIST_SIZE,
    TOP_LISTS,
)

log = logging.getLogger(__name__)

NAME = "clarity-warehouse"
HOST = "127.0.0.1"

Project = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Clarity project name as list_projects gives it (e.g. 'fabrikam-blog').",
    ),
]
Metric = Literal[SITE_METRICS]  # type: ignore[valid-type]
Dimension = Literal[SEGMENT_DIMENSIONS]  # type: ignore[valid-type]
TopList = Literal[TOP_LISTS]  # type: ignore[valid-type]
# a tool's result: structured content (a JSON object) with its compact JSON text beside it
Answer = Annotated[CallToolResult, dict[str, Any]]

INSTRUCTIONS = f"""\
Microsoft Clarity analytics of the user's websites, from a read-only copy of the warehouse marts
(schema marts). Start with list_projects: it gives each project's name, time zone and dates.
Dates are YYYY-MM-DD calendar dates of the project's time zone. Sessions of pages or segments
overlap and never add up to the site's. Rates are fractions 0..1 and are recombined from counts,
never averaged; frustration scores are 0..100. Before explaining a score, a ranking, an alert or
a missing day, read the matching resource ({docs.URI_PREFIX}<name>, e.g.
{docs.URI_PREFIX}clarity_frustration_score). For anything the tools do not cover, `query` runs
one SELECT over the marts (list them with information_schema.tables).
"""

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


class _Server(MCPServer):
    """MCPServer whose argument errors read as one clear sentence per argument, and whose
    unexpected failures read as a sentence too (the traceback goes to the server's log)."""

    async def call_tool(self, name, arguments, context=None):  # type: ignore[override]
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            log.error("%s failed unexpectedly", name, exc_info=exc.__cause__)
            raise ToolError(unexpected_failure(name, exc.__cause__)) from exc
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(invalid_arguments(name, exc.__cause__)) from exc.__cause__
            raise


def unexpected_failure(tool: str, cause: BaseException | None) -> str:
    """What the client reads when `tool` failed in a way no check foresaw: what to do, and the
    exception's type (never its text, which may hold a path)."""
    if isinstance(cause, RecursionError):
        return (
            f"{tool} failed: the answer is nested too deeply to turn into JSON; simplify the "
            "query (fewer nested lists, structs or calls)"
        )
    if isinstance(cause, MemoryError):
        return f"{tool} failed: the server ran out of memory for this answer; ask for less"
    kind = type(cause).__name__ if cause else "unknown"
    return (
        f"{tool} failed inside the server ({kind}); ask again differently, and report it: the "
        "server's log (stderr) has the details"
    )


def invalid_arguments(tool: str, error: ValidationError) -> str:
    """`error` as `invalid arguments for <tool>: <argument>: <what is wrong>, got <value>`."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "missing":
            parts.append(f"{where} is required")
            continue
        message = item["msg"]
        if item["type"].startswith(("date", "datetime")):
            message += " (write dates as YYYY-MM-DD)"
        given = repr(item.get("input"))
        parts.append(f"{where}: {message}, got {given if len(given) <= 60 else given[:57] + '...'}")
    return f"invalid arguments for {tool}: " + "; ".join(parts)


def _answer(call: Callable[..., dict[str, Any]], *args: Any) -> CallToolResult:
    """The answer as structured content and as compact JSON text (no indentation: an answer of
    500 rows stays small for the assistant's context)."""
    try:
        answer = call(*args)
    except AnswerError as exc:
        log.info("%s: %s", getattr(call, "__name__", "tool"), exc)
        raise ToolError(str(exc)) from None
    text = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=answer)


def build_server(db: Path, limits: Limits | None = None) -> MCPServer:
    """The server: ten read-only tools over the copy at `db` and the docs blocks."""
    marts = PublishedMarts(db, limits)
    server = _Server(NAME, instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def list_projects() -> Answer:
        """List the Clarity projects in the warehouse: for each, its time zone, the first and
        latest date with a daily site value, days and pages known, snapshots and requests
        stored, its last collection (date, requests, failures), when data was last fetched
        (and hours since), and missing days in its latest 28 dates. Call it first: the other
        tools need a project name from here."""
        return _answer(marts.list_projects)

    @server.tool(annotations=READ_ONLY)
    def site_daily(
        project: Project,
        start: Annotated[
            dt.date | None,
            Field(
                description=f"First date, YYYY-MM-DD (default: {DEFAULT_DAYS - 1} days before end)."
            ),
        ] = None,
        end: Annotated[
            dt.date | None,
            Field(description="Last date, YYYY-MM-DD (default: the latest date with a value)."),
        ] = None,
        metrics: Annotated[
            list[Metric] | None,
            Field(
                max_length=len(SITE_METRICS),
                description="Site measures to return (default: sessions, frustration_score).",
            ),
        ] = None,
    ) -> Answer:
        """The site's daily series for one project over a period (at most 366 dates): one row
        per date with the chosen measures, plus day_coverage (share of the date the 24-hour
        period behind the value covers), value_source (one_day_window, nested_difference,
        solved_exact or solved_estimate) and sessions_error (a solved estimate's stated error);
        a date without a value is listed with is_missing and missing_reason instead of being
        invented. A summary gives the dates with and without
        a value and, with sessions, their total."""
        return _answer(marts.site_daily, project, start, end, metrics)

    @server.tool(annotations=READ_ONLY)
    def pages_to_fix(
        project: Project,
        date: Annotated[
            dt.date | None,
            Field(description="Ranking date, YYYY-MM-DD (default: the latest ranked date)."),
        ] = None,
        limit: Annotated[
            int, Field(ge=1, le=MAX_PAGES, description=f"Pages to return, 1 to {MAX_PAGES}.")
        ] = 10,
    ) -> Answer:
        """The pages to fix first in one project on one date: the ranking by excess frustrated
        sessions over the 7 days ending on that date (sessions x (page's shrunk frustration
        score - site score) / 100), with rank, page URL (masked, normalised), excess, shrunk
        and raw score (0..100), site score, sessions and days with data; the 28-day rank,
        excess, score and sessions beside them."""
        return _answer(marts.pages_to_fix, project, date, limit)

    @server.tool(annotations=READ_ONLY)
    def page_trend(
        project: Project,
        page_url: Annotated[
            str,
            Field(
                min_length=1,
                max_length=2000,
                description="The page's normalised URL as pages_to_fix gives it.",
            ),
        ],
        weeks: Annotated[
            int, Field(ge=1, le=MAX_WEEKS, description=f"Latest ISO weeks, 1 to {MAX_WEEKS}.")
        ] = 8,
    ) -> Answer:
        """One page's weekly trend: per ISO week (Monday to Sunday) its sessions, frustration
        score (0..100), the previous week's values and the week-over-week change in points and
        relative, days with data and whether the week is complete. An unknown URL is answered
        with the closest known page URLs."""
        return _answer(marts.page_trend, project, page_url, weeks)

    @server.tool(annotations=READ_ONLY)
    def segment_breakdown(
        project: Project,
        dimension: Annotated[Dimension, Field(description="The breakdown.")],
        start: Annotated[
            dt.date | None,
            Field(
                description=f"First date, YYYY-MM-DD (default: {SEGMENT_DAYS - 1} days before end)."
            ),
        ] = None,
        end: Annotated[
            dt.date | None,
            Field(description="Last date, YYYY-MM-DD (default: the latest date with data)."),
        ] = None,
    ) -> Answer:
        """Frustration signals by segment (device, browser, OS, country, channel, campaign or
        source/medium) over a period (at most 366 dates): per segment value its sessions,
        share of sessions, days with data and, for each of the six signals, the sessions with
        it and its rate (0..1) recombined from the daily counts. Largest segments first."""
        return _answer(marts.segment_breakdown, project, dimension, start, end)

    @server.tool(annotations=READ_ONLY)
    def top_list(
        project: Project,
        list_name: Annotated[
            TopList,
            Field(
                description="Which top-10 list: referrer, page_title, popular_page, browser, "
                "device, os or country."
            ),
        ],
        start: Annotated[
            dt.date | None,
            Field(
                description=f"First date, YYYY-MM-DD (default: {SEGMENT_DAYS - 1} days before end)."
            ),
        ] = None,
        end: Annotated[
            dt.date | None,
            Field(description="Last date, YYYY-MM-DD (default: the latest date with lists)."),
        ] = None,
        by_host: Annotated[
            bool, Field(description="Referrers only: group referrer URLs by referring site.")
        ] = False,
        limit: Annotated[
            int,
            Field(ge=1, le=MAX_TOP_ITEMS, description=f"Items to return, 1 to {MAX_TOP_ITEMS}."),
        ] = TOP_LIST_SIZE,
    ) -> Answer:
        """Clarity's top-10 lists of one project over a period (at most 366 dates): top
        referrers (URLs, or sites with by_host), page titles, popular pages (normalised URLs,
        in visits), browsers, devices, OSs or countries. Per item the sessions (visits) its
        daily lists hold, the days it was listed and its best rank, most first. An item absent
        from a day's list is unknown, not zero: sums are lower bounds, never site totals."""
        return _answer(marts.top_list, project, list_name, start, end, by_host, limit)

    @server.tool(annotations=READ_ONLY)
    def alerts(
        project: Project,
        since: Annotated[
            dt.date | None,
            Field(
                description=f"First date, YYYY-MM-DD (default: {DEFAULT_DAYS - 1} days before "
                "the latest date)."
            ),
        ] = None,
    ) -> Answer:
        """Alerts of one project since a date, newest first: signal regressions of a page or
        the site (observed rate, expected rate from the trailing baseline, strength = z of the
        test, sessions on the day and in the baseline, the rule with its thresholds) and
        missed collection days (best coverage found, coverage required, consecutive days);
        and the days tested (exact values) and not tested (estimates: never tested). One
        regression alerts on many days: incidents gives one row per episode."""
        return _answer(marts.alerts, project, since)

    @server.tool(annotations=READ_ONLY)
    def incidents(
        project: Project,
        since: Annotated[
            dt.date | None,
            Field(
                description=f"Also list the incidents seen or resolved from this date, "
                f"YYYY-MM-DD (default: {DEFAULT_DAYS - 1} days before the latest date); the "
                "open ones are always listed."
            ),
        ] = None,
    ) -> Answer:
        """Incidents of one project, the open first: one row per episode of a signal
        regression of a page or the site (opened, last seen, alert days, the peak's observed
        rate against the expected baseline and its z, resolved once the rate is back near the
        baseline) or of missed collection (missing days, then collecting again or recovered);
        status open or resolved, and links to the page's recordings in Clarity. Ask this
        before alerts: alerts gives the daily rows."""
        return _answer(marts.incidents, project, since)

    @server.tool(annotations=READ_ONLY)
    def collection_health(
        project: Project,
        days: Annotated[
            int,
            Field(ge=1, le=MAX_DAYS, description=f"Latest dates to cover, 1 to {MAX_DAYS}."),
        ] = 14,
    ) -> Answer:
        """Is collection working for one project: per date the requests sent, failed (429,
        other 4xx, 5xx, no response), quota used and snapshots stored, whether the date got a
        daily value and if not why (missing_reason), and which days were recovered from
        nested windows; totals over the period."""
        return _answer(marts.collection_health, project, days)

    @server.tool(annotations=READ_ONLY)
    def query(
        sql: Annotated[
            str,
            Field(
                min_length=1,
                max_length=20_000,
                description="One SELECT (WITH, FROM-first, DESCRIBE and SUMMARIZE too) over "
                "the marts schema.",
            ),
        ],
    ) -> Answer:
        """Run one read-only SELECT over the marts (DuckDB SQL): tables marts.<name> or
        unqualified, information_schema for the list of tables and columns, range() and
        generate_series() for rows. Anything else is refused with the reason: other
        statements (INSERT, CREATE, ATTACH, COPY, PRAGMA, SET...), several statements, reading
        files or URLs, CTEs named like DuckDB's catalog. Answers columns and rows, capped at
        the row limit and at the byte limit (`truncated` and `note` say so and how many rows
        were kept) and stopped at the time limit."""
        return _answer(marts.query, sql)

    for block in docs.assistant_blocks():
        server.add_resource(
            FunctionResource.from_function(
                fn=_block_reader(block.name),
                uri=block.uri,
                name=block.name,
                title=block.name.removeprefix("clarity_").replace("_", " "),
                description=block.summary,
                mime_type="text/markdown",
            )
        )
    return server


def _block_reader(name: str) -> Callable[[], str]:
    def read() -> str:
        try:
            return docs.read_block(name)
        except KeyError:
            raise ResourceNotFoundError(f"the docs block {name} is no longer defined") from None

    return read


def check_source(db: Path, warehouse: Path | None = None) -> None:
    """Refuse to serve the warehouse file itself or any file holding the raw layer; warn when
    the copy does not exist yet (each call will say to publish)."""
    if warehouse is not None and db.resolve() == warehouse.resolve():
        raise ConfigurationError(
            f"{db} is the warehouse itself: the assistant reads only the published copy "
            "(`clarity publish` writes it); leave out --db or name the copy"
        )
    if not db.exists():
        log.warning(
            "no published copy at %s yet: run `clarity publish`; until then every call says so", db
        )
        return
    try:
        con = duckdb.connect(str(db), read_only=True, config=CONNECTION_CONFIG)
    except duckdb.Error as exc:
        raise ConfigurationError(
            f"cannot open {db} read-only ({str(exc).splitlines()[0]}); if a writer holds it, it "
            "is a warehouse, not a published copy"
        ) from None
    try:
        schemas = {
            row[0]
            for row in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    finally:
        con.close()
    if "clarity_raw" in schemas:
        raise ConfigurationError(
            f"{db} holds the raw layer (schema clarity_raw): it is a warehouse, not a published "
            "copy; point --db at the copy `clarity publish` writes"
        )
    if "marts" not in schemas:
        raise ConfigurationError(f"{db} has no schema marts: run `clarity publish` to write one")


def serve(
    db: Path,
    *,
    warehouse: Path | None = None,
    http_port: int | None = None,
    limits: Limits | None = None,
) -> None:
    """Serve the copy at `db` until the client disconnects (stdio) or the process is stopped."""
    check_source(db, warehouse)
    server = build_server(db, limits)
    for noisy in ("mcp", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if http_port is None:
        log.info("serving %s read-only over stdio", db)
        server.run("stdio")
    else:
        log.info("serving %s read-only on http://%s:%d/mcp", db, HOST, http_port)
        server.run("streamable-http", host=HOST, port=http_port)
