"""The solved periods of the raw layer: after a load, every window layout (a project and dimension
set) whose snapshots changed is solved again in the blocks those snapshots reach, and the 24-hour
periods between fetches that no one-day window already gives are written to the solved store
(ingestion/solve/store.py), which dbt reads beside the raw tables.

The series are the raw rows' own: one per dimension value as received, a URL without its query
and fragment (`page_base`: dbt masks and normalises it, then adds what still differs only in
form; the solve is linear, so adding solved variants is solving their sum), and per additive
measure, unrounded (dbt rounds after adding, as it does for a snapshot). A count the loader
kept as nonconforming, or a percentage outside 0..100, gives no equation: the same values
staging makes null. Non-additive measures (distinct users, averages, pages per session) are
never solved."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from ingestion.api.contract import (
    ALL_BLOCKS,
    DIMENSION_COLUMNS,
    FRUSTRATION_BLOCKS,
    canonical_dimensions,
)
from ingestion.load.parse import is_plain_count
from ingestion.solve.incremental import DEFAULT_BLOCKS, Blocks
from ingestion.solve.partition import DEFAULT_SNAP_SECONDS, as_seconds
from ingestion.solve.system import ESTIMATE, EXACT
from ingestion.solve.targets import fetch_periods
from ingestion.solve.windows import solve
from ingestion.warehouse.raw import RAW, RawReader, raw_reader

log = logging.getLogger(__name__)

# additive measures: (measure, metric block, how a raw row gives it)
TRAFFIC = "Traffic"
# the blocks of a body that are not counts of sessions with a signal (Traffic is read on its own)
NOT_SIGNAL_BLOCKS = tuple(
    block for block in ALL_BLOCKS if block not in FRUSTRATION_BLOCKS and block != TRAFFIC
)
KIND_NAMES = {EXACT: "exact", ESTIMATE: "estimate"}
# a count is an integer: half a unit of rounding in every input
COUNT_ROUNDING = 0.5
# a solved value (and error) below this adds nothing once rounded: no row is written
NEGLIGIBLE = 0.5

SOLVED_SCHEMA = pa.schema(
    [
        pa.field("project", pa.string(), nullable=False),
        pa.field("dimensions", pa.string(), nullable=False),
        pa.field("block", pa.int64(), nullable=False),
        pa.field("period_start", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("period_end", pa.timestamp("us", tz="UTC"), nullable=False),
        *[pa.field(column, pa.string()) for column in DIMENSION_COLUMNS.values()],
        pa.field("measure", pa.string(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("error", pa.float64(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("solved_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def signal_measures(block: str) -> tuple[str, str]:
    """The two measures of a signal's metric block: its base sessions and its sessions with the
    signal, named by the block (dbt's clarity_signals() maps a block to its key), so that a signal
    added to dbt is solved without a change here."""
    return f"{block}:base_sessions", f"{block}:sessions"


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    start: float
    end: float
    num_of_days: int
    truncated: bool
    load_id: str


@dataclass
class SolveReport:
    layouts: int = 0
    blocks: int = 0
    periods: int = 0
    rows: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Replacement:
    """The solved rows of some blocks of one layout (all rows of those blocks)."""

    project: str
    dimensions: str
    blocks: tuple[int, ...]
    rows: pa.Table


def solve_periods(
    reader: RawReader,
    *,
    load_ids: Iterable[str] | None = None,
    blocks: Blocks = DEFAULT_BLOCKS,
    now: datetime | None = None,
) -> tuple[list[Replacement], SolveReport]:
    """Solve the layouts the loads `load_ids` added snapshots to (None: every layout, every
    block), block by block: what replaces those blocks in the solved store."""
    started = time.perf_counter()
    report = SolveReport()
    solved_at = now or datetime.now(UTC)
    replacements: list[Replacement] = []
    new = None if load_ids is None else set(load_ids)
    for (project, dimensions), snapshots in sorted(_layouts(reader).items()):
        ends = np.array([s.end for s in snapshots])
        if new is None:
            touched = np.unique(blocks.block_of(ends))
            touched = np.union1d(touched, touched + 1)
        else:
            fresh = np.array([s.end for s in snapshots if s.load_id in new])
            if fresh.size == 0:
                continue
            touched = blocks.blocks_touched(fresh)
        report.layouts += 1
        replacements.extend(
            _solve_layout(
                reader, project, dimensions, snapshots, touched, blocks, solved_at, report
            )
        )
    report.seconds = time.perf_counter() - started
    log.info(
        "solved %d period(s) of %d layout(s) in %d block(s): %d row(s) in %.2f s",
        report.periods,
        report.layouts,
        report.blocks,
        report.rows,
        report.seconds,
    )
    return replacements, report


def _layouts(reader: RawReader) -> dict[tuple[str, str], list[Snapshot]]:
    """Every loaded snapshot (once each), by project and dimension set, in fetch order."""
    if "snapshots" not in reader.tables():
        return {}
    truncated = (
        "coalesce(possibly_truncated, false)"
        if "possibly_truncated" in reader.columns("snapshots")
        else "false"
    )
    rows = reader.fetchall(
        f"select snapshot_id, project, coalesce(dimensions, ''), num_of_days, window_start, "
        f"window_end, {truncated}, _dlt_load_id from {RAW}.snapshots"
    )
    seen: set[str] = set()
    layouts: dict[tuple[str, str], list[Snapshot]] = defaultdict(list)
    for sid, project, dims, days, start, end, cut, load_id in sorted(rows, key=lambda r: r[7]):
        if sid in seen:  # the same response loaded twice counts once
            continue
        seen.add(sid)
        start_s, end_s = as_seconds([_aware(start), _aware(end)])
        layouts[(project, dims)].append(
            Snapshot(sid, float(start_s), float(end_s), int(days), bool(cut), str(load_id))
        )
    for snapshots in layouts.values():
        snapshots.sort(key=lambda s: (s.end, s.snapshot_id))
    return layouts


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _solve_layout(
    reader: RawReader,
    project: str,
    dimensions: str,
    snapshots: list[Snapshot],
    touched: np.ndarray,
    blocks: Blocks,
    solved_at: datetime,
    report: SolveReport,
) -> list[Replacement]:
    windows = np.array([[s.start, s.end] for s in snapshots], dtype=np.float64)
    one_day = {_key(s.start, s.end) for s in snapshots if s.num_of_days == 1}
    plans: list[tuple[int, np.ndarray, np.ndarray]] = []
    needed: set[int] = set()
    for block in touched.tolist():
        low, high = blocks.window_range(block)
        used = np.flatnonzero((windows[:, 1] >= low) & (windows[:, 1] < high))
        if used.size == 0:
            plans.append((block, used, np.zeros((0, 2))))
            continue
        periods = fetch_periods(windows[used])
        keep = (blocks.block_of(periods[:, 1]) == block) & np.array(
            [_key(a, b) not in one_day for a, b in periods], dtype=bool
        )
        plans.append((block, used, periods[keep]))
        if keep.any():
            needed.update(used.tolist())
    values = _series(reader, dimensions, [snapshots[i] for i in sorted(needed)])
    rows: list[dict] = []
    for block, used, targets in plans:
        if targets.shape[0]:
            rows.extend(
                _solve_block(
                    project,
                    dimensions,
                    block,
                    [snapshots[i] for i in used],
                    windows[used],
                    targets,
                    values,
                    solved_at,
                )
            )
            report.periods += targets.shape[0]
    table = pa.Table.from_pylist(rows, schema=SOLVED_SCHEMA)
    report.blocks += len(plans)
    report.rows += table.num_rows
    return [Replacement(project, dimensions, tuple(b for b, _, _ in plans), table)]


def _key(start: float, end: float) -> tuple[int, int]:
    """A window's edges to the snap tolerance (a period equal to a one-day window is left to
    the one-day window)."""
    return int(round(start / DEFAULT_SNAP_SECONDS)), int(round(end / DEFAULT_SNAP_SECONDS))


# per snapshot: {series key (dimension values..., measure): value}
SeriesValues = dict[str, dict[tuple, float]]


def _series(reader: RawReader, dimensions: str, snapshots: list[Snapshot]) -> SeriesValues:
    """The additive measures of every raw series of `snapshots`, per snapshot."""
    found: SeriesValues = {s.snapshot_id: {} for s in snapshots}
    if not snapshots:
        return found
    present = reader.columns("metric_rows")
    dims = [
        DIMENSION_COLUMNS[d.lower()]
        for d in canonical_dimensions([d for d in dimensions.split(",") if d])
    ]
    wanted = [
        "sessions_count",
        "sessions_with_metric_percentage",
        "total_session_count",
        "total_bot_session_count",
        "pages_per_session_percentage",
    ]
    selected = ", ".join(c if c in present else f"null as {c}" for c in [*dims, *wanted])
    # Traffic and every signal block: a block that is neither one of the other known blocks nor
    # a top list (whatever signal the API adds, or dbt's seed names, is solved)
    rows = reader.fetchall(
        f"select snapshot_id, metric_name, {selected} from {RAW}.metric_rows "
        "where snapshot_id = any(%s) and not (metric_name = any(%s))",
        [s.snapshot_id for s in snapshots],
        list(NOT_SIGNAL_BLOCKS),
    )
    width = len(dims)
    url_at = dims.index("url") if "url" in dims else None
    for row in rows:
        sid, metric = row[0], row[1]
        values = row[2 : 2 + width]
        if url_at is not None:
            values = (*values[:url_at], page_base(values[url_at]), *values[url_at + 1 :])
        count, pct, total, bots, per_session = row[2 + width :]
        series = found[sid]
        if metric == TRAFFIC:
            sessions = _count(total)
            _add(series, values, "sessions", sessions)
            _add(series, values, "bot_sessions", _count(bots))
            ratio = _number(per_session, 0.0, None)
            _add(
                series,
                values,
                "page_views",
                None if sessions is None or ratio is None else ratio * sessions,
            )
        else:
            base_measure, signal_measure = signal_measures(metric)
            base = _count(count)
            share = _number(pct, 0.0, 100.0)
            _add(series, values, base_measure, base)
            _add(
                series,
                values,
                signal_measure,
                None if base is None or share is None else share * base / 100.0,
            )
    return found


def page_base(url: str | None) -> str | None:
    """A URL without its query and fragment: the variants of a page that differ only there
    (tracking parameters, tokens) are one series. dbt's normalised `page_url` drops them too,
    unless var clarity_url_keep_params keeps some: then the solved (never the fetched) values of
    the variants that differ in a kept parameter are the sum of those variants."""
    if url is None:
        return None
    return url.split("#", 1)[0].split("?", 1)[0]


def _count(value) -> float | None:
    if value is None:
        return None
    text = str(value)
    return float(int(text)) if is_plain_count(text) else None


def _number(value, low: float, high: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not np.isfinite(number) or number < low or (high is not None and number > high):
        return None
    return number


def _add(series: dict, values: tuple, measure: str, value: float | None) -> None:
    """Add a raw row's value to its series; a value staging makes null marks the series unknown
    in this snapshot (NaN: no equation), whatever else the snapshot holds for it."""
    key = (*values, measure)
    if value is None:
        series[key] = np.nan
    else:
        series[key] = series.get(key, 0.0) + value


def _solve_block(
    project: str,
    dimensions: str,
    block: int,
    snapshots: list[Snapshot],
    windows: np.ndarray,
    targets: np.ndarray,
    values: SeriesValues,
    solved_at: datetime,
) -> list[dict]:
    keys = sorted({key for s in snapshots for key in values[s.snapshot_id]}, key=_sort_key)
    if not keys:
        return []
    column = {key: j for j, key in enumerate(keys)}
    y = np.zeros((len(snapshots), len(keys)))
    mask = np.ones(y.shape, dtype=bool)
    for i, snapshot in enumerate(snapshots):
        here = values[snapshot.snapshot_id]
        if snapshot.truncated:  # a series absent from a cut block is unknown, not zero
            mask[i, :] = False
        for key, value in here.items():
            j = column[key]
            if np.isnan(value):
                mask[i, j] = False
            else:
                y[i, j] = value
                mask[i, j] = True
    solution = solve(windows, y, targets, mask=mask, rounding=COUNT_ROUNDING)
    dims = [
        DIMENSION_COLUMNS[d.lower()]
        for d in canonical_dimensions([d for d in dimensions.split(",") if d])
    ]
    starts = [datetime.fromtimestamp(t, UTC) for t in targets[:, 0]]
    ends = [datetime.fromtimestamp(t, UTC) for t in targets[:, 1]]
    rows = []
    for k in range(targets.shape[0]):
        for key, j in column.items():
            kind = int(solution.kind[k, j])
            value, error = float(solution.value[k, j]), float(solution.error[k, j])
            if kind not in KIND_NAMES or (value < NEGLIGIBLE and error < NEGLIGIBLE):
                continue  # no row: nothing to add, as a series absent from a window
            row = dict.fromkeys(DIMENSION_COLUMNS.values())
            row.update(zip(dims, key[:-1], strict=True))
            row.update(
                project=project,
                dimensions=dimensions,
                block=block,
                period_start=starts[k],
                period_end=ends[k],
                measure=key[-1],
                value=max(value, 0.0),
                error=error,
                kind=KIND_NAMES[kind],
                solved_at=solved_at,
            )
            rows.append(row)
    return rows


def _sort_key(key: tuple) -> tuple:
    return tuple("" if part is None else str(part) for part in key)


def solve_warehouse(warehouse, **options) -> tuple[list[Replacement], SolveReport]:
    """`solve_periods` on a warehouse's raw layer, through a short read-only connection that is
    closed before anything is written."""
    with raw_reader(warehouse) as reader:
        if reader is None:
            return [], SolveReport()
        return solve_periods(reader, **options)
