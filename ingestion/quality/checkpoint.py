"""The landing checkpoint: Great Expectations on what one run has just loaded into clarity_raw.

It checks what only the loader can see, per loaded body: its shape (16 blocks without dimensions,
9 with), its window (24 h x numOfDays), that every row it announced was loaded, that frustration
rows carry their session count as a count, type surprises and possible truncation (warnings), the
required columns of each raw table, and the HTTP statuses recorded. Uniqueness, accepted values,
ranges and relationships are dbt's tests (staging) and are not repeated here.

Nothing is materialised row by row: the warehouse aggregates the loaded rows into one summary row
per body (aggregate SQL through dlt's dataset access, on DuckDB or PostgreSQL alike), and GX
validates those summaries with its pandas datasource in an ephemeral context, so memory grows with
the number of bodies, not rows. (GX 1.24's SQL datasource was tried first: on DuckDB through
duckdb-engine it fails every metric with "list index out of range", GX issue #11579.) Raw rows
are read only; nothing is ever changed or deleted."""

from __future__ import annotations

import dataclasses
import logging
import time
import warnings
from typing import TYPE_CHECKING, Any

from ingestion.api.contract import ALL_BLOCKS, DIMENSIONED_BLOCKS, FRUSTRATION_BLOCKS
from ingestion.load.parse import ID_COLUMNS, METRIC_ROWS_SCHEMA, SNAPSHOTS_SCHEMA
from ingestion.load.source import REQUESTS_SCHEMA
from ingestion.quality.report import ExpectationOutcome, QualityReport, TableResult, outcome_of
from ingestion.warehouse.destination import RAW_DATASET, Warehouse
from ingestion.warehouse.raw import RawReader, raw_reader

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

RAW = RAW_DATASET
TABLES: tuple[str, ...] = ("snapshots", "metric_rows", "requests")
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")

# The columns every raw table must have: the loader's non-nullable ones, those the checks read,
# and dlt's load id (every row names the load that wrote it).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "snapshots": (
        *(f.name for f in SNAPSHOTS_SCHEMA if not f.nullable),
        "http_status",
        "block_count",
        "row_count",
        "_dlt_load_id",
    ),
    "metric_rows": (*ID_COLUMNS, "_dlt_load_id"),
    "requests": (*(f.name for f in REQUESTS_SCHEMA if not f.nullable), "_dlt_load_id"),
}
KNOWN_METRIC_ROW_COLUMNS = frozenset((*METRIC_ROWS_SCHEMA.names, *DLT_COLUMNS))
_FRUSTRATION_SQL = ", ".join(f"'{block}'" for block in FRUSTRATION_BLOCKS)


def run_raw_checkpoint(warehouse: Warehouse, load_ids: list[str]) -> QualityReport:
    """Validate what the loads `load_ids` wrote to the three raw tables; return the report.

    The warehouse is opened read-only and closed before returning. A table without rows in these
    loads is skipped (and said so in the summary)."""
    started = time.perf_counter()
    load_ids = [str(load_id) for load_id in load_ids]
    with raw_reader(warehouse) as reader:
        if reader is None:
            raise FileNotFoundError(
                f"{warehouse.label} does not exist: run the ingestion first or set "
                "CLARITY_DUCKDB_PATH to the file the loader wrote."
            )
        summaries = _Summaries.read(reader, load_ids)
    tables = {table: _validate_table(table, summaries) for table in TABLES}
    report = QualityReport(
        load_ids=load_ids, tables=tables, duration_seconds=time.perf_counter() - started
    )
    if report.success:
        logger.info("raw checkpoint passed in %.2fs", report.duration_seconds)
    else:
        logger.warning("raw checkpoint failed: %s", "; ".join(report.failed_expectations))
    return report


class _Summaries:
    """Per raw table: its columns, and the bounded summary frame of the given loads."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str] | None] = {}
        self.frames: dict[str, pd.DataFrame | None] = {}
        self.row_counts: dict[str, int] = {}
        self.notes: dict[str, list[str]] = {table: [] for table in TABLES}

    @classmethod
    def read(cls, reader: RawReader, load_ids: list[str]) -> _Summaries:
        found = cls()
        existing = reader.tables()
        for table in TABLES:
            found.columns[table] = sorted(reader.columns(table)) if table in existing else None
        for table, query in (
            ("snapshots", found._bodies_sql),
            ("metric_rows", found._metric_rows_sql),
            ("requests", found._requests_sql),
        ):
            sql = query() if load_ids and found.readable(table) else None
            found.frames[table] = _frame(reader, sql, load_ids) if sql else None
        found._count_rows()
        found._unknown_keys(reader, load_ids)
        return found

    def readable(self, table: str) -> bool:
        columns = self.columns[table]
        return columns is not None and set(REQUIRED_COLUMNS[table]) <= set(columns)

    def _has(self, table: str, column: str) -> bool:
        return column in (self.columns[table] or [])

    def _column_or_null(self, table: str, column: str, qualifier: str = "") -> str:
        """The column, or a null where the table lacks it (a raw table written by another tool,
        or a key that never arrived)."""
        return f"{qualifier}{column}" if self._has(table, column) else "null"

    def _bodies_sql(self) -> str:
        """One row per loaded body: its snapshot row and the metric rows loaded for it."""
        return f"""
            with loaded_rows as (
                select snapshot_id, count(*) as metric_rows_loaded
                from {RAW}.metric_rows where _dlt_load_id = any(%s) group by snapshot_id
            )
            select
                s.snapshot_id, s.project, s.dimensions, s.num_of_days, s.window_start, s.window_end,
                s.http_status, s.block_count, s.row_count,
                {self._column_or_null("snapshots", "possibly_truncated", "s.")}
                    as possibly_truncated,
                coalesce(r.metric_rows_loaded, 0) as metric_rows_loaded
            from {RAW}.snapshots as s
            left join loaded_rows as r on r.snapshot_id = s.snapshot_id
            where s._dlt_load_id = any(%s)
        """

    def _metric_rows_sql(self) -> str:
        """One row per body the loads wrote metric rows for: counts of rows that break the
        wire contract (missing or non-count session counts, type surprises)."""
        sessions = self._column_or_null("metric_rows", "sessions_count")
        nonconforming = self._column_or_null("metric_rows", "nonconforming_values")
        frustration = f"metric_name in ({_FRUSTRATION_SQL})"
        return f"""
            select
                snapshot_id,
                count(*) as rows_loaded,
                count(case when {frustration} and {sessions} is null then 1 end)
                    as frustration_rows_without_sessions_count,
                count(case when {frustration} and ({sessions} = ''
                    or ltrim({sessions}, '0123456789') <> '') then 1 end)
                    as frustration_rows_with_non_count_sessions,
                count({nonconforming}) as rows_with_nonconforming_values
            from {RAW}.metric_rows
            where _dlt_load_id = any(%s)
            group by snapshot_id
        """

    def _requests_sql(self) -> str:
        """The HTTP statuses the loads recorded, with how many requests had each."""
        status = self._column_or_null("requests", "status")
        return f"""
            select {status} as status, count(*) as requests
            from {RAW}.requests where _dlt_load_id = any(%s) group by 1
        """

    def _count_rows(self) -> None:
        sums = {"snapshots": None, "metric_rows": "rows_loaded", "requests": "requests"}
        for table, column in sums.items():
            frame = self.frames[table]
            if frame is None or frame.empty:
                self.row_counts[table] = 0
            else:
                self.row_counts[table] = int(frame[column].sum()) if column else len(frame)

    def _unknown_keys(self, reader: RawReader, load_ids: list[str]) -> None:
        unknown = sorted(set(self.columns["metric_rows"] or []) - KNOWN_METRIC_ROW_COLUMNS)
        if not unknown or not load_ids or not self.row_counts["metric_rows"]:
            return
        counts = reader.fetchall(
            "select "
            + ", ".join(f'count("{column}")' for column in unknown)
            + f" from {RAW}.metric_rows where _dlt_load_id = any(%s)",
            load_ids,
        )[0]
        present = [column for column, count in zip(unknown, counts, strict=True) if count]
        if present:
            self.notes["metric_rows"].append(
                f"unknown keys kept from the API (schema evolution): {', '.join(present)}"
            )


def _frame(reader: RawReader, sql: str, load_ids: list[str]) -> pd.DataFrame:
    import pandas as pd  # pandas stays off the import path

    names, rows = reader.fetchall_with_names(sql, *([load_ids] * sql.count("%s")))
    return pd.DataFrame.from_records(rows, columns=names)


def _great_expectations():
    """Great Expectations, imported when a check runs (seconds to import). It imports pyspark
    when installed (the `spark` extra), whose warning about the pandas version concerns Spark's
    pandas API, not these checks."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\..*")
        import great_expectations as gx

    return gx


def _validate_table(table: str, summaries: _Summaries) -> TableResult:
    columns = summaries.columns[table]
    if columns is None:
        return TableResult(table=table, row_count=0, skipped_reason="table does not exist")
    frame = summaries.frames[table]
    rows = summaries.row_counts[table]
    if summaries.readable(table) and (frame is None or frame.empty):
        return TableResult(table=table, row_count=0, skipped_reason="no rows in these loads")
    import pandas as pd

    gx = _great_expectations()

    context = _ephemeral_context(gx)
    result = TableResult(table=table, row_count=rows, notes=summaries.notes[table])
    # the table's columns, on an empty frame that has exactly them
    checks = [
        (
            pd.DataFrame(columns=columns),
            [
                gx.expectations.ExpectTableColumnsToMatchSet(
                    column_set=list(REQUIRED_COLUMNS[table]), exact_match=False
                )
            ],
        )
    ]
    if frame is not None and not frame.empty:
        checks.append((_prepared(table, frame), _SUITES[table](gx)))
    for index, (data, expectations) in enumerate(checks):
        result.evaluated += len(expectations)
        result.failures.extend(_validate(gx, context, f"{table}_{index}", data, expectations))
    if table == "snapshots" and frame is not None:
        result.failures = [_name_truncated(failure, frame) for failure in result.failures]
    return result


_SETS_NAMED = 5


def _name_truncated(failure: ExpectationOutcome, bodies: pd.DataFrame) -> ExpectationOutcome:
    """The possible-truncation warning says which project and dimension set (GX alone would
    show the flag's value, `True`): the set to ask with fewer dimensions, or to watch."""
    if not failure.target.startswith("possibly_truncated"):
        return failure
    flagged = bodies[bodies["possibly_truncated"].fillna(False).astype(bool)]
    sets = sorted(
        {
            (str(p), str(d) or "no dimensions")
            for p, d in zip(flagged["project"], flagged["dimensions"], strict=True)
        }
    )
    named = ", ".join(f"{project} {dimensions}" for project, dimensions in sets[:_SETS_NAMED])
    if len(sets) > _SETS_NAMED:
        named += f" and {len(sets) - _SETS_NAMED} more"
    observed = (
        f"{len(flagged)} of {len(bodies)} bodies had a block of 1,000 rows, which the API may "
        f"have cut: {named}"
    )
    return dataclasses.replace(failure, observed=observed)


def _ephemeral_context(gx: Any) -> Any:
    """An in-memory GX context: no files, no data docs site, no progress bars, no analytics."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _snapshot_expectations(gx: Any) -> list[Any]:
    """Per loaded body: shape, window, status, announced rows loaded, possible truncation."""
    from great_expectations.expectations.row_conditions import Column

    ex = gx.expectations
    bodies = {"unit": "bodies"}
    return [
        ex.ExpectColumnValuesToBeInSet(
            column="block_count",
            value_set=[len(ALL_BLOCKS)],
            row_condition=Column("dimensions") == "",
            meta={**bodies, "where": "no dimensions"},
        ),
        ex.ExpectColumnValuesToBeInSet(
            column="block_count",
            value_set=[len(DIMENSIONED_BLOCKS)],
            row_condition=Column("dimensions") != "",
            meta={**bodies, "where": "with dimensions"},
        ),
        ex.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="window_end", column_B="window_start", or_equal=False, meta=bodies
        ),
        # the window is exactly 24 h x numOfDays (helper columns from _prepared)
        ex.ExpectColumnPairValuesToBeEqual(
            column_A="window_hours", column_B="expected_window_hours", meta=bodies
        ),
        ex.ExpectColumnValuesToBeInSet(column="http_status", value_set=[200], meta=bodies),
        ex.ExpectColumnPairValuesToBeEqual(
            column_A="metric_rows_loaded",
            column_B="row_count",
            meta={**bodies, "where": "every row a body announced was loaded"},
        ),
        ex.ExpectColumnValuesToBeInSet(
            column="possibly_truncated",
            value_set=[False],
            severity="warning",
            meta={**bodies, "hint": "a block had 1,000 rows: the API may have cut it"},
        ),
    ]


def _metric_row_expectations(gx: Any) -> list[Any]:
    """Per loaded body: no frustration row without a count of sessions, no type surprise."""
    ex = gx.expectations
    frustration = {"unit": "bodies", "where": "frustration blocks"}
    return [
        ex.ExpectColumnValuesToBeInSet(
            column="frustration_rows_without_sessions_count", value_set=[0], meta=frustration
        ),
        ex.ExpectColumnValuesToBeInSet(
            column="frustration_rows_with_non_count_sessions", value_set=[0], meta=frustration
        ),
        ex.ExpectColumnValuesToBeInSet(
            column="rows_with_nonconforming_values",
            value_set=[0],
            severity="warning",
            meta={
                "unit": "bodies",
                "hint": "a known key arrived with an unexpected type or out of its domain",
            },
        ),
    ]


def _request_expectations(gx: Any) -> list[Any]:
    """The statuses recorded are HTTP statuses (null: the connection dropped, ignored by GX)."""
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="status", min_value=100, max_value=599, meta={"unit": "statuses"}
        )
    ]


_SUITES = {
    "snapshots": _snapshot_expectations,
    "metric_rows": _metric_row_expectations,
    "requests": _request_expectations,
}


def _prepared(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The summary as GX should see it: timestamps as naive UTC (GX's pandas metrics read
    `Series.values`, which pandas 3 deprecates for tz-aware columns), and the window length
    helper columns of the bodies."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    if table == "snapshots":
        for column in ("window_start", "window_end"):
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
        span = frame["window_end"] - frame["window_start"]
        frame["window_hours"] = span.dt.total_seconds() / 3600.0
        frame["expected_window_hours"] = frame["num_of_days"].astype("float64") * 24.0
        frame["possibly_truncated"] = frame["possibly_truncated"].fillna(False).astype(bool)
    return frame


def _validate(gx: Any, context: Any, name: str, frame: pd.DataFrame, expectations: list[Any]):
    """Run one GX checkpoint (one validation definition) over a frame; the failed outcomes.

    GX passes one set of batch parameters to every validation definition of a checkpoint, and a
    dataframe asset takes its dataframe from them: hence one checkpoint per frame."""
    source = context.data_sources.add_pandas(name=f"{RAW}_{name}")
    asset = source.add_dataframe_asset(name=name)
    batch_definition = asset.add_batch_definition_whole_dataframe(name="loaded")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{RAW}.{name}"))
    for expectation in expectations:
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{RAW}.{name}", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{RAW}.{name}.loaded",
            validation_definitions=[definition],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    return [
        outcome_of(expectation_result)
        for suite_result in outcome.run_results.values()
        for expectation_result in suite_result.results
        if not expectation_result.success
    ]
