"""A tiny run of scripts/bench: every step runs, the baseline builds an equivalent raw table, and
the report carries the figures and ratios."""

from __future__ import annotations

import re

import pytest

from clarity_tools import bench
from tests.integration.helpers import scalar

pytestmark = pytest.mark.integration


def test_bench_smoke_run_reports_every_figure(tmp_path):
    out = tmp_path / "benchmarks.md"
    # a report from an earlier run: its figures are replaced, its hand-written part is kept
    analysis = f"{bench.ANALYSIS_MARKER}\n## Where the time goes\nread by hand\n"
    out.write_text("# Benchmarks\n| old figures | 1 |\n\n" + analysis)
    assert (
        bench.main(["--preset", "smoke", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    )
    text = out.read_text()
    archive = tmp_path / "work" / "archive"
    for label, days in (("short", 2), ("long", 4)):
        expected = bench.rows_in(bench.day_dirs(archive, 1, days))
        baseline = scalar(
            tmp_path / "work" / f"baseline_{label}.duckdb",
            "select count(*) from clarity_raw.metric_rows",
        )
        # our warehouse also got the incremental day before dbt's incremental build
        ours = scalar(
            tmp_path / "work" / label / "clarity.duckdb",
            "select count(*) from clarity_raw.metric_rows",
        )
        extra_day = bench.rows_in(bench.day_dirs(archive, days + 1, days + 1))
        assert baseline == expected > 0
        assert ours == expected + extra_day
        assert f"ingest {label}: clarity import" in text
        assert f"dbt full refresh ({label})" in text and f"dbt incremental ({label})" in text
    assert re.search(r"\| ingestion slope: .* \| [0-9.]+ \| <= 5 \|", text)
    assert re.search(r"\| dbt incremental: 4 d / 2 d \| [0-9.]+ \| <= 1.5 \|", text)
    assert "dbt fixed overhead" in text and "peak MiB" in text
    # the imports run with the landing checkpoint on, and its share of their time is reported
    assert re.search(r"ingest long: clarity import [0-9.]+ s of [0-9.]+ s \(\d+%\)", text)
    assert text.endswith(analysis) and "old figures" not in text
