"""A tiny run of scripts/bench: every step runs, the baseline builds an equivalent raw table, and
the report carries the figures and ratios."""

from __future__ import annotations

import re

import duckdb
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
    # (no ratio when the machine made the short import the slower one: a smoke run is tiny)
    assert re.search(
        r"\| ingestion slope: .* \| ([0-9.]+|n/a \(long import not slower\)) \| <= 5 \|", text
    )
    assert re.search(r"\| dbt incremental: 4 d / 2 d \| [0-9.]+ \| <= 1.1 \|", text)
    assert "dbt fixed overhead" in text and "peak MiB" in text
    # the incremental build ran twice on the same warehouse, restored between the runs
    assert re.search(
        r"Each incremental build ran 2 times .*dbt incremental \(short\) [0-9.]+, [0-9.]+; "
        r"dbt incremental \(long\) [0-9.]+, [0-9.]+\)",
        text,
    )
    # the imports run with the landing checkpoint on, and its share of their time is reported
    assert re.search(r"ingest long: clarity import [0-9.]+ s of [0-9.]+ s \(\d+%\)", text)
    # the scale-out figures: the import into a bucket beside the DuckDB file's, and ingestion of
    # several projects one at a time and side by side (each run asked every planned request)
    assert re.search(r"\| import of 4 d, rows/s: to a bucket \(Parquet\) .* \| [0-9.]+ \|", text)
    assert re.search(
        r"\| ingest of 4 projects x 3 requests at 50 ms: 1 at a time / 4 at a time", text
    )
    assert "API requests answered per run 1 at a time: 12, 4 at a time: 12" in text
    bucket = tmp_path / "work" / "bucket" / "clarity_raw" / "metric_rows"
    assert (
        scalar(
            tmp_path / "work" / "long" / "clarity.duckdb",
            "select count(*) from clarity_raw.metric_rows",
        )
        - bench.rows_in(bench.day_dirs(archive, 5, 5))
        == duckdb.sql(f"select count(*) from read_parquet('{bucket}/*.parquet')").fetchall()[0][0]
    )
    assert text.endswith(analysis) and "old figures" not in text
