"""The journal (ingestion/warehouse/journal.py): rows appended to a DuckDB file, a PostgreSQL
database and a bucket are read back as written and reach dbt's staging models; a warehouse where
nothing was recorded builds them empty."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg2
import pytest

from ingestion.config import duckdb_warehouse
from ingestion.transform.dbt_runner import run_dbt
from ingestion.warehouse import journal
from ingestion.warehouse.destination import PostgresSettings, Warehouse
from tests.integration.helpers import query
from tests.postgres_server import postgres_server, server_bin_dir

pytestmark = pytest.mark.integration

# unit tests run in test_dbt_unit_tests; a test that also reads a mart waits for the mart
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"]
# the raw history's own tests, selected with clarity_raw_parquet: no raw table here
NO_RAW_TESTS = ["--exclude", "assert_raw_metric_values_are_usable"]
STAGING = ["stg_clarity__annotations", "stg_clarity__incident_actions"]


def _build(db: Path, target: Path, raw_parquet: str | None = None) -> None:
    code, _ = run_dbt(
        ["build", "--select", *STAGING, "clarity_raw_parquet", *NO_UNIT_TESTS, *NO_RAW_TESTS],
        db,
        target_path=target,
        raw_parquet=raw_parquet,
        quiet=True,
    )
    assert code == 0, "the journal's staging models did not build (see the output above)"


def _entries() -> tuple[journal.Annotation, journal.Annotation, journal.IncidentAction]:
    fix = journal.Annotation(
        "shop",
        date(2026, 11, 12),
        "fix",
        "checkout button fixed",
        page_url="HTTPS://Shop.Example/checkout/?utm_source=mail#pay",
        incident_id="inc-1",
    )
    release = journal.Annotation("shop", date(2026, 11, 14), "release", "v2.3")
    snooze = journal.IncidentAction(
        "shop", "inc-2", "snoozed", snoozed_until=date(2026, 12, 1), note="after the sale"
    )
    return fix, release, snooze


def _staged(db: Path) -> tuple[list[tuple], list[tuple]]:
    annotations = query(
        db,
        "select annotation_id, project, annotation_date, kind, text, page_url, incident_id "
        "from staging.stg_clarity__annotations order by annotation_date",
    )
    actions = query(
        db,
        "select action_id, incident_id, action, snoozed_until, note "
        "from staging.stg_clarity__incident_actions",
    )
    return annotations, actions


def _expected(entries) -> tuple[list[tuple], list[tuple]]:
    fix, release, snooze = entries
    return (
        [
            (fix.annotation_id, "shop", fix.annotation_date, "fix", fix.text,
             "https://shop.example/checkout", "inc-1"),
            (release.annotation_id, "shop", release.annotation_date, "release", "v2.3",
             None, None),
        ],
        [(snooze.action_id, "inc-2", "snoozed", date(2026, 12, 1), "after the sale")],
    )  # fmt: skip


def test_duckdb_rows_are_appended_read_back_and_staged(tmp_path):
    db = tmp_path / "clarity.duckdb"
    warehouse = duckdb_warehouse(db)
    _build(db, tmp_path / "empty-target")
    assert _staged(db) == ([], []), "staging of a journal never written must be empty"

    entries = _entries()
    assert journal.append(warehouse, entries[0]) == 1
    assert journal.append(warehouse, *entries[1:]) == 2
    rows = journal.read(warehouse, journal.ANNOTATIONS)
    assert [r["annotation_id"] for r in rows] == [e.annotation_id for e in entries[:2]]
    assert rows[0]["page_url"] == entries[0].page_url  # kept as given; staging normalises
    assert rows[0]["recorded_at"] == entries[0].recorded_at
    assert journal.read(warehouse, journal.INCIDENT_ACTIONS)[0]["note"] == "after the sale"

    _build(db, tmp_path / "target")
    assert _staged(db) == _expected(entries)


def test_bucket_rows_are_files_that_staging_reads(tmp_path, monkeypatch):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    warehouse = Warehouse(kind="filesystem", bucket_url=bucket.as_uri())
    db = tmp_path / "marts.duckdb"
    raw_parquet = warehouse.parquet_location()
    _build(db, tmp_path / "empty-target", raw_parquet)
    assert _staged(db) == ([], []), "a bucket with no journal folder must stage as empty"

    journal.ensure_bucket_folders(warehouse)
    _build(db, tmp_path / "schema-target", raw_parquet)
    assert _staged(db) == ([], []), "the schema files alone must stage as empty"

    entries = _entries()
    journal.append(warehouse, *entries)
    files = sorted(p.name for p in (bucket / "clarity_journal" / "annotations").iterdir())
    assert len(files) == 3 and journal.SCHEMA_FILE in files, files
    read = journal.read(warehouse, journal.ANNOTATIONS)
    assert [r["annotation_id"] for r in read] == [e.annotation_id for e in entries[:2]]
    _build(db, tmp_path / "target", raw_parquet)
    assert _staged(db) == _expected(entries)


def test_entries_refuse_what_the_tables_do_not_allow():
    with pytest.raises(ValueError, match="kind"):
        journal.Annotation("shop", date(2026, 11, 12), "deploy", "x")
    with pytest.raises(ValueError, match="snoozed_until"):
        journal.IncidentAction("shop", "inc-1", "snoozed")
    with pytest.raises(ValueError, match="snoozed_until"):
        journal.IncidentAction("shop", "inc-1", "fixed", snoozed_until=date(2026, 12, 1))


def test_postgres_rows_are_appended_read_back_and_staged(tmp_path, monkeypatch):
    if server_bin_dir() is None:
        pytest.fail("PostgreSQL server binaries are not installed: apt-get install postgresql")
    with postgres_server() as pg:
        warehouse = Warehouse(
            "postgres",
            postgres=PostgresSettings(pg.host, pg.port, pg.user, pg.password, pg.database),
        )
        for key, value in pg.env().items():
            monkeypatch.setenv(key, value)
        entries = _entries()
        journal.append(warehouse, entries[0])
        journal.append(warehouse, *entries[1:])
        read = journal.read(warehouse, journal.INCIDENT_ACTIONS)
        assert [(r["action_id"], r["snoozed_until"]) for r in read] == [
            (entries[2].action_id, date(2026, 12, 1))
        ]
        code, _ = run_dbt(
            ["build", "--select", *STAGING, *NO_UNIT_TESTS, "--target", "postgres"],
            None,
            target_path=tmp_path / "target",
            quiet=True,
        )
        assert code == 0, "the journal's staging models did not build on PostgreSQL"
        with psycopg2.connect(pg.dsn) as con, con.cursor() as cursor:
            cursor.execute(
                "select annotation_id, project, annotation_date, kind, text, page_url, "
                "incident_id from staging.stg_clarity__annotations order by annotation_date"
            )
            annotations = cursor.fetchall()
            cursor.execute(
                "select action_id, incident_id, action, snoozed_until, note "
                "from staging.stg_clarity__incident_actions"
            )
            actions = cursor.fetchall()
        assert (annotations, actions) == _expected(entries)
