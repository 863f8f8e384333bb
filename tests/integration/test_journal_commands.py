"""`clarity annotate` and `clarity incident` as a person runs them: rows appended to the journal,
arguments checked with errors that say what to do, an incident checked against
marts.fct_incidents when it is built, and a warehouse held by another process refused with the
busy exit code, nothing recorded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion.config import duckdb_warehouse
from ingestion.exit_codes import ExitCode
from ingestion.warehouse import journal
from tests.child import CLARITY, run_python

pytestmark = pytest.mark.integration

NOW = "2026-11-20T12:00:00Z"  # 20 Nov in both projects' zones


def _clarity(db: Path, *args: str) -> subprocess.CompletedProcess:
    return run_python(
        [*CLARITY, *args],
        env={
            "CLARITY_DUCKDB_PATH": str(db),
            "SOURCES__CLARITY__PROJECT_NAMES": json.dumps(["shop", "blog"]),
            "SOURCES__CLARITY__PROJECTS__BLOG__TIMEZONE": "Pacific/Auckland",
        },
        timeout=120,
    )


def _rows(db: Path, table: str) -> list[dict]:
    return journal.read(duckdb_warehouse(db), table)


def test_annotate_records_and_lists_and_refuses_bad_arguments(tmp_path):
    db = tmp_path / "clarity.duckdb"
    done = _clarity(
        db, "annotate", "shop", "2026-11-12", "checkout fixed", "--page",
        "https://shop.example/checkout", "--kind", "fix",
    )  # fmt: skip
    assert done.returncode == ExitCode.OK, done.stderr
    assert "recorded fix of 12 Nov 2026 on https://shop.example/checkout" in done.stdout
    (row,) = _rows(db, journal.ANNOTATIONS)
    assert (row["project"], row["annotation_date"], row["kind"], row["text"], row["page_url"]) == (
        "shop", date(2026, 11, 12), "fix", "checkout fixed", "https://shop.example/checkout",
    )  # fmt: skip
    assert len(row["annotation_id"]) == 32 and row["incident_id"] is None

    refused = {
        ("annotate", "shop", "12/11/2026", "x"): "is not a date: give it as YYYY-MM-DD",
        ("annotate", "nope", "2026-11-12", "x"): "Unknown project 'nope' (configured: shop, blog)",
        ("annotate", "shop", "2026-11-12", "x", "--page", "/checkout"): "full URL",
        ("annotate", "shop", "2026-11-12"): "Give the date and the text",
    }
    for args, message in refused.items():
        done = _clarity(db, *args)
        assert done.returncode == ExitCode.USAGE, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
    assert len(_rows(db, journal.ANNOTATIONS)) == 1, "a refused annotation must record nothing"

    listed = _clarity(db, "annotate", "shop", "--list")
    assert listed.returncode == ExitCode.OK
    assert "2026-11-12  fix  https://shop.example/checkout  checkout fixed" in listed.stdout
    assert "no annotation for blog yet" in _clarity(db, "annotate", "blog", "--list").stdout


def test_incident_actions_and_the_fix_annotation(tmp_path):
    db = tmp_path / "clarity.duckdb"
    # no fct_incidents: accepted with a warning that it could not be checked
    done = _clarity(db, "incident", "blog", "inc-9", "fixed", "--now", NOW)
    assert done.returncode == ExitCode.OK, done.stderr
    assert "could not be checked" in done.stderr
    (fix,) = _rows(db, journal.ANNOTATIONS)
    # 12:00 UTC on 20 Nov is 01:00 on 21 Nov in Auckland: the project's own today
    assert (fix["kind"], fix["incident_id"], fix["annotation_date"], fix["page_url"]) == (
        "fix", "inc-9", date(2026, 11, 21), None,
    )  # fmt: skip

    # with fct_incidents built: an unknown id is refused, a known one gives its page
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_incidents as select 'inc-1' as incident_id, 'shop' as project, "
        "'page' as scope, 'https://shop.example/checkout' as page_url, 'rage_click' as metric, "
        "date '2026-11-19' as last_seen_on"
    )
    con.close()
    unknown = _clarity(db, "incident", "shop", "inc-404", "wont-fix", "--now", NOW)
    assert unknown.returncode == ExitCode.USAGE
    assert "No incident 'inc-404' of shop in marts.fct_incidents (latest: inc-1)" in unknown.stderr

    steps = [
        ("inc-1", "snooze", "--until", "2026-12-01", "--note", "after the sale"),
        ("inc-1", "fixed", "--date", "2026-11-18"),
        ("inc-1", "reopen"),
    ]
    for step in steps:
        done = _clarity(db, "incident", "shop", *step, "--now", NOW)
        assert done.returncode == ExitCode.OK, (step, done.stderr)
        assert "could not be checked" not in done.stderr
    actions = [
        (r["incident_id"], r["action"], r["snoozed_until"], r["note"])
        for r in _rows(db, journal.INCIDENT_ACTIONS)
    ]
    assert actions == [
        ("inc-9", "fixed", None, None),
        ("inc-1", "snoozed", date(2026, 12, 1), "after the sale"),
        ("inc-1", "fixed", None, None),
        ("inc-1", "reopened", None, None),
    ]
    shop_fix = [r for r in _rows(db, journal.ANNOTATIONS) if r["project"] == "shop"]
    assert [(r["annotation_date"], r["page_url"], r["text"]) for r in shop_fix] == [
        (date(2026, 11, 18), "https://shop.example/checkout", "fix of incident inc-1 (rage_click)")
    ]

    refused = {
        ("inc-1", "snooze"): "snooze needs --until DATE",
        ("inc-1", "snooze", "--until", "2026-11-20"): "is not in the future",
        ("inc-1", "fixed", "--until", "2026-12-20"): "--until is for snooze only",
    }
    for args, message in refused.items():
        done = _clarity(db, "incident", "shop", *args, "--now", NOW)
        assert done.returncode == ExitCode.USAGE, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
    assert len(_rows(db, journal.INCIDENT_ACTIONS)) == 4


def test_a_busy_warehouse_is_refused_and_nothing_is_recorded(tmp_path):
    db = tmp_path / "clarity.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', "
            "flush=True); time.sleep(60)", str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        done = _clarity(db, "annotate", "shop", "2026-11-12", "release 2.3")
        assert done.returncode == ExitCode.FAILED, done.stderr
        assert "Another process holds the DuckDB file" in done.stderr
        assert "nothing was recorded" in done.stderr
        assert time.monotonic() - started < 60, "the command must not wait for the lock"
    finally:
        holder.kill()
        holder.wait()
    assert _rows(db, journal.ANNOTATIONS) == []
