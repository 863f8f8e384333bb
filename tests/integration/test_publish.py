"""`clarity publish`: BI tools read a published copy, so a reader never blocks ingestion or dbt."""

from __future__ import annotations

import json
import subprocess

import pytest

from ingestion.ingest import ingest
from ingestion.outputs.publish import publish
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.child import popen_python
from tests.conftest import collection_time, make_config
from tests.integration.helpers import query, scalar

pytestmark = pytest.mark.integration

BLOG = "fabrikam-blog"


def test_a_reader_on_the_published_copy_never_blocks_ingest_build_and_publish(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG])
    target = tmp_path / "dbt-target"
    offline.clock.set(collection_time(1))
    ingest(config, clock=offline.clock.now)
    assert run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=target, quiet=True)[0] == 0
    first = publish(config.duckdb_path)
    assert first.tables > 0 and first.path.name == "clarity_published.duckdb"
    sessions_before = scalar(first.path, "select count(*) from marts.fct_collection_daily")

    # a BI tool opens the published copy and keeps it open
    project = tmp_path / "reader"
    project.mkdir()
    reader = popen_python(
        [
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('select count(*) from marts.fct_collection_daily').fetchall()[0][0],"
            " flush=True); sys.stdin.readline(); "
            "print(c.execute('select count(*) from marts.fct_collection_daily').fetchall()[0][0],"
            " flush=True)",
            str(first.path),
        ],
        project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert int(reader.stdout.readline()) == sessions_before
        # meanwhile the pipeline runs the next day end to end
        offline.clock.set(collection_time(2))
        report = ingest(config, clock=offline.clock.now)
        assert report.load.snapshots_loaded == 10
        assert run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=target, quiet=True)[0] == 0
        second = publish(config.duckdb_path)
        # the reader still sees its own consistent snapshot
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == sessions_before
    finally:
        reader.kill()
        reader.wait()
    # a new reader sees the new day
    assert scalar(second.path, "select count(*) from marts.fct_collection_daily") > sessions_before
    assert not list(tmp_path.glob(".clarity_published.duckdb.tmp*"))
    # readable by the older DuckDB builds BI drivers embed (not only by 2.x)
    storage = query(
        second.path,
        "select tags['storage_version'] from duckdb_databases() "
        "where database_name = 'clarity_published'",
    )
    assert storage == [("v1.0.0+",)]


def test_every_mart_table_and_column_of_the_copy_carries_its_dbt_description(offline, tmp_path):
    """BI tools (DBeaver, Metabase) show the copy's comments: each is the model's or column's
    description as dbt rendered it (docs blocks resolved), read from the build's manifest."""
    config = make_config(offline, tmp_path, projects=[BLOG])
    target = tmp_path / "dbt-target"
    offline.clock.set(collection_time(1))
    ingest(config, clock=offline.clock.now)
    assert run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=target, quiet=True)[0] == 0
    copy = publish(config.duckdb_path)
    nodes = {
        node["name"]: node
        for node in json.loads((target / "manifest.json").read_text())["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    tables = query(
        copy.path, "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
    )
    assert sorted(name for name, _ in tables) == sorted(nodes)
    for name, comment in tables:
        assert comment and comment == nodes[name]["description"], name
    columns = query(
        copy.path,
        "select table_name, column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' order by all",
    )
    assert len(columns) > 300
    undocumented = [
        (table, column, comment)
        for table, column, comment in columns
        if not comment or comment != nodes[table]["columns"].get(column, {}).get("description")
    ]
    assert undocumented == []
    assert "{{" not in "".join(comment for _, _, comment in columns)  # docs blocks rendered
    assert copy.comments == len(tables) + len(columns)
