"""The benchmark's report (clarity_tools/bench.markdown) from a run's figures: the dbt section run
alone (no read_json baseline) gives the dbt ratios and no ingestion slope, and the repeated
incremental builds are all listed beside the median kept."""

from __future__ import annotations

import re

from clarity_tools import bench


def _step(name: str, seconds: float, note: str = "") -> bench.Step:
    return bench.Step(name, seconds, 100.0, note=note)


def test_a_dbt_only_run_reports_the_dbt_ratios_and_every_repeat():
    result = bench.BenchResult(10, 365, 30, 10, files=36600, metric_rows=24_072_881, repeat=3)
    result.steps = {
        "ingest_ours_short": _step("ingest short: clarity import", 26.6),
        "ingest_ours_long": _step("ingest long: clarity import", 257.5),
        "dbt_full_short": _step("dbt full refresh (short)", 23.0),
        "dbt_incremental_short": _step("dbt incremental (short)", 18.25, "16.82, 18.25, 18.79"),
        "dbt_full_long": _step("dbt full refresh (long)", 95.3),
        "dbt_incremental_long": _step("dbt incremental (long)", 22.47, "20.84, 22.47, 22.82"),
    }
    text = bench.markdown(result, "default")
    assert "ingestion slope" not in text  # no baseline was run
    assert re.search(r"\| dbt incremental: 365 d / 30 d \| 1\.23 \| <= 1\.1 \|", text)
    assert re.search(r"\| dbt incremental / full refresh at 365 d \| 0\.24 \| <= 0\.2 \|", text)
    assert (
        "Each incremental build ran 3 times on a copy of the warehouse as it was before it; "
        "the median is shown (of an even number, the slower middle one; all runs, s: "
        "dbt incremental (short) 16.82, 18.25, 18.79; "
        "dbt incremental (long) 20.84, 22.47, 22.82)."
    ) in text
