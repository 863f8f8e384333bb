"""Great Expectations checkpoint on the raw rows that one ingestion run has just loaded.

Reads the rows of the given dlt load ids from the `clarity_raw` tables (read-only, nothing is
ever changed or deleted) and validates them with GX's pandas datasource in an ephemeral context.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion import settings
from ingestion.destinations import Warehouse

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

RAW_SCHEMA = settings.DATASET_NAME
TABLES: tuple[str, ...] = ("snapshots", "metric_rows", "requests")

FRUSTRATION_METRICS: tuple[str, ...] = settings.FRUSTRATION_BLOCKS
VALID_NUM_OF_DAYS: tuple[int, ...] = settings.VALID_NUM_DAYS
VALID_ORIGINS: tuple[str, ...] = ("api", "offline", "archive")
BLOCKS_WITHOUT_DIMENSIONS = len(settings.ALL_BLOCKS)
BLOCKS_WITH_DIMENSIONS = len(settings.DIMENSIONED_BLOCKS)
COUNT_PATTERN = r"^[0-9]+$"

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "snapshots": (
        "snapshot_id",
        "project",
        "dimensions",
        "num_of_days",
        "fetched_at",
        "window_start",
        "window_end",
        "origin",
        "http_status",
        "block_count",
        "row_count",
        "_dlt_load_id",
    ),
    "metric_rows": (
        "snapshot_id",
        "project",
        "metric_name",
        "block_index",
        "row_index",
        "_dlt_load_id",
    ),
    "requests": (
        "request_id",
        "project",
        "requested_at",
        "_dlt_load_id",
    ),
}

# Columns the loader writes on purpose; anything else in metric_rows is a key the API started
# sending that we did not know about (kept by dlt schema evolution) and is reported as a note.
KNOWN_METRIC_ROW_COLUMNS: frozenset[str] = frozenset(
    {
        "snapshot_id",
        "project",
        "metric_name",
        "block_index",
        "row_index",
        "url",
        "device",
        "browser",
        "os",
        "country",
        "source",
        "medium",
        "campaign",
        "channel",
        "name",
        "sessions_count",
        "sessions_with_metric_percentage",
        "sessions_without_metric_percentage",
        "pages_views",
        "sub_total",
        "average_scroll_depth",
        "total_session_count",
        "total_bot_session_count",
        "distinct_user_count",
        "distant_user_count",
        "pages_per_session_percentage",
        "total_time",
        "active_time",
        "visits_count",
        "nonconforming_values",
        "ingest_run_id",
        "_dlt_load_id",
        "_dlt_id",
    }
)

_MAX_OBSERVED_CHARS = 160
_MAX_VALUE_CHARS = 24
_EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation that did not pass: its GX name, what it looked at and what it saw."""

    expectation: str
    target: str
    observed: str
    severity: str = "critical"

    @property
    def label(self) -> str:
        return f"{self.expectation} ({self.target})" if self.target else self.expectation


@dataclass
class TableResult:
    """The validation of one raw table's rows for the given loads."""

    table: str
    row_count: int
    evaluated: int = 0
    failures: list[ExpectationOutcome] = field(default_factory=list)
    skipped_reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.skipped_reason is not None

    @property
    def success(self) -> bool:
        return all(failure.severity != "critical" for failure in self.failures)

    @property
    def failed_expectations(self) -> list[str]:
        return [failure.expectation for failure in self.failures if failure.severity == "critical"]


@dataclass
class QualityReport:
    """What the raw checkpoint found, per table; `summary()` is meant for a terminal."""

    load_ids: list[str]
    tables: dict[str, TableResult]
    duration_seconds: float = 0.0

    @property
    def success(self) -> bool:
        return all(result.success for result in self.tables.values())

    @property
    def failed_expectations(self) -> list[str]:
        return [
            f"{table}: {failure.label}"
            for table, result in self.tables.items()
            for failure in result.failures
            if failure.severity == "critical"
        ]

    def summary(self) -> str:
        status = "PASSED" if self.success else "FAILED"
        if not self.load_ids:
            loads = "(none)"
        elif len(self.load_ids) <= 3:
            loads = ", ".join(self.load_ids)
        else:
            loads = f"{len(self.load_ids)} ({self.load_ids[0]} ... {self.load_ids[-1]})"
        lines = [
            f"Raw data checkpoint (Great Expectations): {status} in {self.duration_seconds:.2f}s",
            f"  loads: {loads}",
        ]
        width = max((len(name) for name in self.tables), default=0)
        for name, result in self.tables.items():
            rows = "row " if result.row_count == 1 else "rows"
            head = f"  {name.ljust(width)}  {result.row_count:>7} {rows}  "
            if result.skipped:
                lines.append(f"{head}skipped: {result.skipped_reason}")
                continue
            critical = len(result.failed_expectations)
            if critical:
                lines.append(f"{head}{critical} of {result.evaluated} checks FAILED")
            else:
                lines.append(f"{head}{result.evaluated} checks passed")
            for failure in result.failures:
                mark = "FAILED" if failure.severity == "critical" else failure.severity.upper()
                lines.append(f"      {mark} {failure.label}: {failure.observed}")
            lines.extend(f"      note: {note}" for note in result.notes)
        return "\n".join(lines)


def run_raw_checkpoint(warehouse: Warehouse | str | Path, load_ids: list[str]) -> QualityReport:
    """Validate the rows of `load_ids` in the three raw tables and return the report.

    `warehouse` is a Warehouse or the path of a DuckDB file; it is opened read-only and closed
    before returning. A table without rows in
    these loads is skipped (and said so in the summary), except that metric_rows is still checked
    for volume when the loaded snapshots announce rows.
    """
    started = time.perf_counter()
    load_ids = [str(load_id) for load_id in load_ids]
    if not isinstance(warehouse, Warehouse):
        warehouse = Warehouse("duckdb", duckdb_path=Path(warehouse))
    frames, existing_snapshot_ids = _read_loaded_rows(warehouse, load_ids)

    # Volume: when the loaded snapshots announce rows, metric_rows must have some.
    rows_announced = _announced_row_count(frames["snapshots"]) > 0
    tables: dict[str, TableResult] = {}
    to_validate: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        frame = frames[table]
        must_have_rows = table == "metric_rows" and rows_announced
        if (frame is not None and len(frame) > 0) or must_have_rows:
            to_validate[table] = frame if frame is not None else _empty_frame()
        else:
            reason = "no rows in these loads" if frame is not None else "table does not exist"
            tables[table] = TableResult(table=table, row_count=0, skipped_reason=reason)

    if to_validate:
        import great_expectations as gx  # noqa: PLC0415 - slow import, only needed here

        context = _ephemeral_context(gx)
        for table, frame in to_validate.items():
            must_have_rows = table == "metric_rows" and rows_announced
            expectations = _SUITE_BUILDERS[table](gx, frame, existing_snapshot_ids, must_have_rows)
            result = _validate(gx, context, table, _prepared(table, frame), expectations)
            if table == "metric_rows":
                result.notes.extend(_unknown_key_notes(frame))
            tables[table] = result

    report = QualityReport(
        load_ids=load_ids,
        tables={table: tables[table] for table in TABLES},
        duration_seconds=time.perf_counter() - started,
    )
    if report.success:
        logger.info("raw checkpoint passed in %.2fs", report.duration_seconds)
    else:
        logger.warning("raw checkpoint failed: %s", "; ".join(report.failed_expectations))
    return report


def _read_loaded_rows(
    warehouse: Warehouse, load_ids: Sequence[str]
) -> tuple[dict[str, pd.DataFrame | None], list[str]]:
    """Rows of the given loads per table (None when the table does not exist) and the snapshot
    ids, anywhere in `snapshots`, that the loaded metric rows refer to."""
    with warehouse.reader() as reader:
        if reader is None:
            raise FileNotFoundError(
                f"{warehouse.label} does not exist: run the ingestion first or set "
                "CLARITY_DUCKDB_PATH to the file the loader wrote."
            )
        existing = reader.tables(RAW_SCHEMA)
        frames: dict[str, pd.DataFrame | None] = {}
        for table in TABLES:
            if table not in existing:
                frames[table] = None
            elif not load_ids:
                frames[table] = reader.dataframe(f"select * from {RAW_SCHEMA}.{table} limit 0")
            else:
                frames[table] = reader.dataframe(
                    f"select * from {RAW_SCHEMA}.{table} where _dlt_load_id = any(?)",
                    [list(load_ids)],
                )
        snapshot_ids: list[str] = []
        metric_rows = frames["metric_rows"]
        if "snapshots" in existing and metric_rows is not None and "snapshot_id" in metric_rows:
            referenced = sorted({str(v) for v in metric_rows["snapshot_id"].dropna().unique()})
            if referenced:
                snapshot_ids = [
                    row[0]
                    for row in reader.fetchall(
                        f"select distinct snapshot_id from {RAW_SCHEMA}.snapshots "
                        "where snapshot_id = any(?)",
                        [referenced],
                    )
                ]
    return frames, snapshot_ids


def _empty_frame() -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415 - pandas stays off the import path

    return pd.DataFrame()


def _announced_row_count(snapshots: pd.DataFrame | None) -> int:
    """How many metric rows the loaded snapshots say their bodies carried."""
    if snapshots is None or "row_count" not in snapshots or snapshots.empty:
        return 0
    total = snapshots["row_count"].fillna(0).sum()
    return int(total)


def _ephemeral_context(gx: Any) -> Any:
    """An in-memory GX context: no files, no data docs site, no progress bars, no analytics."""
    from great_expectations.data_context.types.base import (  # noqa: PLC0415
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


def _frustration_rows() -> Any:
    from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415

    return Column("metric_name").is_in(list(FRUSTRATION_METRICS))


def _columns_exist(gx: Any, table: str) -> Any:
    return gx.expectations.ExpectTableColumnsToMatchSet(
        column_set=list(REQUIRED_COLUMNS[table]), exact_match=False
    )


def _snapshot_expectations(
    gx: Any, frame: pd.DataFrame, _snapshot_ids: list[str], _must_have_rows: bool
) -> list[Any]:
    from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415

    ex = gx.expectations
    has = set(frame.columns)
    checks: list[Any] = [_columns_exist(gx, "snapshots")]
    if "snapshot_id" in has:
        checks.append(ex.ExpectColumnValuesToNotBeNull(column="snapshot_id"))
        checks.append(ex.ExpectColumnValuesToBeUnique(column="snapshot_id"))
    if "project" in has:
        checks.append(ex.ExpectColumnValuesToNotBeNull(column="project"))
    if "num_of_days" in has:
        checks.append(ex.ExpectColumnValuesToNotBeNull(column="num_of_days"))
        checks.append(
            ex.ExpectColumnValuesToBeInSet(column="num_of_days", value_set=list(VALID_NUM_OF_DAYS))
        )
    if "http_status" in has:
        checks.append(ex.ExpectColumnValuesToBeInSet(column="http_status", value_set=[200]))
    if "origin" in has:
        checks.append(
            ex.ExpectColumnValuesToBeInSet(column="origin", value_set=list(VALID_ORIGINS))
        )
    if {"block_count", "dimensions"} <= has:
        checks.append(
            ex.ExpectColumnValuesToBeInSet(
                column="block_count",
                value_set=[BLOCKS_WITHOUT_DIMENSIONS],
                row_condition=Column("dimensions") == "",
                meta={"where": "no dimensions"},
            )
        )
        checks.append(
            ex.ExpectColumnValuesToBeInSet(
                column="block_count",
                value_set=[BLOCKS_WITH_DIMENSIONS],
                row_condition=Column("dimensions") != "",
                meta={"where": "with dimensions"},
            )
        )
    elif "block_count" in has:
        checks.append(
            ex.ExpectColumnValuesToBeInSet(
                column="block_count",
                value_set=[BLOCKS_WITHOUT_DIMENSIONS, BLOCKS_WITH_DIMENSIONS],
            )
        )
    if {"window_start", "window_end"} <= has:
        checks.append(
            ex.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="window_end", column_B="window_start", or_equal=False
            )
        )
        if "num_of_days" in has:
            # Derived in _prepared: the window is exactly 24 h x numOfDays.
            checks.append(
                ex.ExpectColumnPairValuesToBeEqual(
                    column_A="window_hours", column_B="expected_window_hours"
                )
            )
    if "row_count" in has:
        checks.append(ex.ExpectColumnValuesToBeBetween(column="row_count", min_value=0))
    if "possibly_truncated" in has:
        checks.append(
            ex.ExpectColumnValuesToBeInSet(
                column="possibly_truncated",
                value_set=[False],
                severity="warning",
                meta={"hint": "a block had 1,000 rows: the API may have cut it"},
            )
        )
    return checks


def _metric_row_expectations(
    gx: Any, frame: pd.DataFrame, snapshot_ids: list[str], must_have_rows: bool
) -> list[Any]:
    ex = gx.expectations
    has = set(frame.columns)
    checks: list[Any] = [_columns_exist(gx, "metric_rows")]
    if must_have_rows:
        checks.append(
            ex.ExpectTableRowCountToBeBetween(
                min_value=1, meta={"where": "snapshots with rows were loaded"}
            )
        )
    for column in ("snapshot_id", "metric_name", "block_index", "row_index"):
        if column in has:
            checks.append(ex.ExpectColumnValuesToNotBeNull(column=column))
    if "row_index" in has:
        checks.append(ex.ExpectColumnValuesToBeBetween(column="row_index", min_value=0))
    if "snapshot_id" in has:
        checks.append(
            ex.ExpectColumnValuesToBeInSet(
                column="snapshot_id",
                value_set=list(snapshot_ids),
                meta={"where": "present in snapshots", "short_value_set": True},
            )
        )
    if "metric_name" in has:
        frustration = {"where": "frustration blocks"}
        if "sessions_count" in has:
            checks.append(
                ex.ExpectColumnValuesToNotBeNull(
                    column="sessions_count", row_condition=_frustration_rows(), meta=frustration
                )
            )
            checks.append(
                ex.ExpectColumnValuesToMatchRegex(
                    column="sessions_count",
                    regex=COUNT_PATTERN,
                    row_condition=_frustration_rows(),
                    meta=frustration,
                )
            )
        elif frame["metric_name"].isin(FRUSTRATION_METRICS).any():
            checks.append(ex.ExpectColumnToExist(column="sessions_count", meta=frustration))
        for column in ("sessions_with_metric_percentage", "sessions_without_metric_percentage"):
            if column in has:
                checks.append(
                    ex.ExpectColumnValuesToBeBetween(
                        column=column,
                        min_value=0,
                        max_value=100,
                        row_condition=_frustration_rows(),
                        meta=frustration,
                    )
                )
    if "nonconforming_values" in has:
        checks.append(
            ex.ExpectColumnValuesToBeNull(
                column="nonconforming_values",
                severity="warning",
                meta={"hint": "a known key arrived with an unexpected JSON type"},
            )
        )
    return checks


def _request_expectations(
    gx: Any, frame: pd.DataFrame, _snapshot_ids: list[str], _must_have_rows: bool
) -> list[Any]:
    ex = gx.expectations
    has = set(frame.columns)
    checks: list[Any] = [_columns_exist(gx, "requests")]
    if "request_id" in has:
        checks.append(ex.ExpectColumnValuesToNotBeNull(column="request_id"))
        checks.append(ex.ExpectColumnValuesToBeUnique(column="request_id"))
    for column in ("project", "requested_at"):
        if column in has:
            checks.append(ex.ExpectColumnValuesToNotBeNull(column=column))
    if "status" in has:
        # null status = the connection dropped; GX ignores nulls in this check.
        checks.append(
            ex.ExpectColumnValuesToBeBetween(column="status", min_value=100, max_value=599)
        )
    return checks


_SuiteBuilder = Callable[[Any, "pd.DataFrame", list[str], bool], list[Any]]
_SUITE_BUILDERS: dict[str, _SuiteBuilder] = {
    "snapshots": _snapshot_expectations,
    "metric_rows": _metric_row_expectations,
    "requests": _request_expectations,
}


def _prepared(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the loaded rows as GX should see them (raw itself is never touched).

    Timestamps become naive UTC (GX's pandas metrics read `Series.values`, which pandas 3
    deprecates for tz-aware columns), and snapshots get the window length helper columns.
    """
    from pandas import DatetimeTZDtype  # noqa: PLC0415 - pandas stays off the import path

    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    if table == "snapshots" and {"window_start", "window_end", "num_of_days"} <= set(frame):
        span = frame["window_end"] - frame["window_start"]
        frame["window_hours"] = span.dt.total_seconds() / 3600.0
        frame["expected_window_hours"] = frame["num_of_days"].astype("float64") * 24.0
    return frame


def _unknown_key_notes(frame: pd.DataFrame) -> list[str]:
    unknown = sorted(
        column
        for column in frame.columns
        if column not in KNOWN_METRIC_ROW_COLUMNS and frame[column].notna().any()
    )
    if not unknown:
        return []
    return [f"unknown keys kept from the API (schema evolution): {', '.join(unknown)}"]


def _validate(
    gx: Any, context: Any, table: str, frame: pd.DataFrame, expectations: list[Any]
) -> TableResult:
    """Run one GX checkpoint (one validation definition) over the table's loaded rows.

    GX passes one set of batch parameters to every validation definition of a checkpoint, and a
    dataframe asset takes its dataframe from them: hence one checkpoint per table.
    """
    source = context.data_sources.add_pandas(name=f"{RAW_SCHEMA}_{table}")
    asset = source.add_dataframe_asset(name=table)
    batch_definition = asset.add_batch_definition_whole_dataframe(name="loaded_rows")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{RAW_SCHEMA}.{table}"))
    for expectation in expectations:
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{RAW_SCHEMA}.{table}", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{RAW_SCHEMA}.{table}.loaded_rows",
            validation_definitions=[definition],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    result = TableResult(table=table, row_count=len(frame), evaluated=len(expectations))
    for suite_result in outcome.run_results.values():
        for expectation_result in suite_result.results:
            if not expectation_result.success:
                result.failures.append(_outcome(expectation_result))
    return result


def _outcome(expectation_result: Any) -> ExpectationOutcome:
    config = expectation_result.expectation_config
    meta = config.meta or {}
    severity = getattr(config, "severity", "critical")
    return ExpectationOutcome(
        expectation=config.type,
        target=_target(config.kwargs, meta),
        observed=_observed(expectation_result, meta),
        severity=str(getattr(severity, "value", severity)),
    )


def _target(kwargs: dict[str, Any], meta: dict[str, Any]) -> str:
    if kwargs.get("column"):
        target = str(kwargs["column"])
    elif kwargs.get("column_A"):
        target = f"{kwargs['column_A']}, {kwargs['column_B']}"
    else:
        target = ""
    value_set = kwargs.get("value_set")
    if value_set is not None and not meta.get("short_value_set"):
        target += f" in {sorted(value_set, key=str)}"
    if kwargs.get("regex"):
        target += f" ~ {kwargs['regex']}"
    if kwargs.get("min_value") is not None or kwargs.get("max_value") is not None:
        target += f" between {kwargs.get('min_value')} and {kwargs.get('max_value')}"
    if meta.get("where"):
        target += f"; {meta['where']}" if target else str(meta["where"])
    return target.strip()


def _observed(expectation_result: Any, meta: dict[str, Any]) -> str:
    info = expectation_result.exception_info or {}
    if info.get("raised_exception"):
        message = str(info.get("exception_message") or "unknown error").splitlines()[0]
        return _shorten(f"error: {message}")
    result = expectation_result.result or {}
    mismatched = (result.get("details") or {}).get("mismatched")
    if mismatched:
        observed = f"missing columns {sorted(mismatched.get('missing') or [])}"
    elif result.get("unexpected_count") is not None:
        examples = [_short_value(v) for v in (result.get("partial_unexpected_list") or [])]
        element_count = result.get("element_count")
        observed = f"{result['unexpected_count']} of {element_count} rows unexpected"
        if examples:
            observed += f", e.g. {', '.join(examples[:_EXAMPLES_SHOWN])}"
    else:
        observed = f"observed {_short_value(result.get('observed_value'))}"
    if meta.get("hint"):
        observed += f" ({meta['hint']})"
    return _shorten(observed)


def _short_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_short_value(item) for item in value) + ")"
    text = repr(value.item() if hasattr(value, "item") else value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return text


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_OBSERVED_CHARS else text[: _MAX_OBSERVED_CHARS - 1] + "…"
