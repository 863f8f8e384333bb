"""Projects asked side by side (`max_parallel_projects`): one project answering 401 and another
429 while the others succeed; each gets its own outcome, every attempt is recorded once, nothing
is lost or doubled, and no project spends more than its budget."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from clarity_tools.bench import bench_projects
from clarity_tools.offline import OfflineClarity
from ingestion.ingest import ingest
from tests.conftest import START, collection_time, make_config
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

PROJECTS = 6
PARALLEL = 4
LATENCY_MS = 100


def test_projects_in_parallel_keep_their_own_outcomes_and_budgets(tmp_path):
    specs = bench_projects(PROJECTS)
    names = [spec.name for spec in specs]
    expired, limited = names[1], names[4]
    now = collection_time(1)
    with OfflineClarity(
        projects=specs, seed=3, start=START, days=4, latency_ms=LATENCY_MS
    ) as service:
        service.clock.set(now)
        service.expire_token(expired)
        # this project's first request gets a 429: it stops for the day, the others go on
        service.inject_fault("status", project=limited, status=429, times=1)
        config = dataclasses.replace(make_config(service, tmp_path), max_parallel_projects=PARALLEL)
        report = ingest(config, clock=lambda: now)
        log = service.request_log
        max_in_flight = service.max_in_flight
        counted = {name: service.requests_counted(name, now.date()) for name in names}

    # side by side, never more than the pool
    assert 2 <= max_in_flight <= PARALLEL
    # each project its own outcome
    outcomes = report.outcomes
    assert list(outcomes) == names
    assert outcomes[expired].stopped_because == "auth" and outcomes[expired].fetched == 0
    assert outcomes[limited].stopped_because == "quota"
    for name in names:
        if name not in (expired, limited):
            plan = outcomes[name].plan
            assert outcomes[name].errors == [] and outcomes[name].fetched == len(plan.requests)
        assert counted[name] <= config.policy.daily_budget  # the service's own count
    # every attempt recorded once, every fetched body loaded once
    db = config.duckdb_path
    recorded = dict(query(db, "select project, count(*) from clarity_raw.requests group by 1"))
    served = Counter(entry["project"] for entry in log)
    assert recorded == dict(served)
    assert query(db, "select count(*) = count(distinct request_id) from clarity_raw.requests") == [
        (True,)
    ]
    stored = dict(query(db, "select project, count(*) from clarity_raw.snapshots group by 1"))
    assert stored == {name: o.fetched for name, o in outcomes.items() if o.fetched}
    assert query(
        db,
        "select count(*) from (select snapshot_id, count(distinct _dlt_load_id) as loads "
        "from clarity_raw.metric_rows group by 1) where loads > 1",
    ) == [(0,)]
    assert report.load.snapshots_loaded == sum(o.fetched for o in outcomes.values())
    pending = tmp_path / "landing" / "pending"
    assert not any(p.is_file() for p in pending.rglob("*"))  # nothing left behind
