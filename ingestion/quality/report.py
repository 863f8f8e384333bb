"""What the landing checkpoint found, per raw table, and its text for a terminal."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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

    @property
    def warnings(self) -> list[str]:
        """The expectations that warned (the load passes), each with what it saw."""
        return [
            f"{table}: {failure.label}: {failure.observed}"
            for table, result in self.tables.items()
            for failure in result.failures
            if failure.severity != "critical"
        ]

    def summary(self) -> str:
        status = "PASSED" if self.success else "FAILED"
        shown = [load_time(load_id) for load_id in self.load_ids]
        if not shown:
            loads = "(none)"
        elif len(shown) <= 3:
            loads = ", ".join(shown)
        else:
            loads = f"{len(shown)} ({shown[0]} ... {shown[-1]})"
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


def load_time(load_id: str) -> str:
    """A dlt load id (the Unix time the load started, e.g. `1796173849.865697`) as the UTC time
    a person reads, `2026-12-02 01:10:49 UTC`; an id of another shape as it is."""
    try:
        started = datetime.fromtimestamp(float(load_id), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return str(load_id)
    return f"{started:%Y-%m-%d %H:%M:%S} UTC"


def outcome_of(expectation_result: Any) -> ExpectationOutcome:
    """An ExpectationOutcome from one failed GX expectation result."""
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
    if value_set is not None:
        target += f" in {sorted(value_set, key=str)}"
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
        unit = meta.get("unit", "rows")
        total = result.get("element_count")
        observed = f"{result['unexpected_count']} of {total} {unit} unexpected"
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
