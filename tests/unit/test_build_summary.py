"""The dbt step of `clarity run` in a few lines: counts from run_results.json, the nodes that
errored before those that warned, at most ten named, and the per-node log's path."""

from __future__ import annotations

from pathlib import Path

from ingestion.daily_job import NODES_SHOWN, _build_detail
from ingestion.exit_codes import ExitCode
from ingestion.transform.dbt_runner import BuildSummary, _read_results

LOG = Path("/data/logs/dbt-build.log")


def _result(unique_id: str, status: str, message: str | None = None, failures=None) -> dict:
    return {"unique_id": unique_id, "status": status, "message": message, "failures": failures}


def test_a_green_build_is_one_line_of_counts_time_and_log():
    summary = BuildSummary(0, 12.34, LOG)
    _read_results(
        summary,
        {
            "results": [
                _result("model.clarity.fct_site_daily", "success", "OK"),
                _result("test.clarity.unique_x.abc", "pass"),
                _result("exposure.clarity.report", "no-op"),
            ]
        },
    )
    status, detail, lines = _build_detail(summary)
    assert status == ExitCode.OK and lines == []
    assert detail == (
        "3 nodes: 2 passed, 0 warned, 0 errored, 0 skipped, 1 no-op in 12.3 s; "
        "per-node log: /data/logs/dbt-build.log"
    )


def test_a_failed_build_names_errored_nodes_first_and_at_most_ten():
    summary = BuildSummary(1, 3.0, LOG)
    results = [_result("test.clarity.warned_test.h1", "warn", "Got 2 results", failures=2)]
    results += [
        _result(
            f"test.clarity.not_null_fct_{i}_id.h{i}", "fail", "Got 1 result, configured\nto fail"
        )
        for i in range(12)
    ]
    results.append(_result("model.clarity.fct_alerts", "skipped"))
    _read_results(summary, {"results": results})
    status, detail, lines = _build_detail(summary)
    assert status == ExitCode.FAILED
    assert detail.startswith("FAILED (exit 1): 14 nodes: 0 passed, 1 warned, 12 errored, 1 skipped")
    assert len(lines) == NODES_SHOWN + 1
    assert lines[0] == "errored test not_null_fct_0_id: Got 1 result, configured to fail"
    assert lines[-1] == "... and 3 more in the log"  # 12 errored + 1 warned, 10 shown


def test_dbt_stopping_before_any_node_says_so():
    status, detail, lines = _build_detail(BuildSummary(2, 1.0, LOG))
    assert status == ExitCode.FAILED and lines == []
    assert detail == (
        "FAILED (exit 2): dbt stopped before running any node in 1.0 s; "
        "per-node log: /data/logs/dbt-build.log"
    )
