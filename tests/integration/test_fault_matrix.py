"""The fault matrix: hostile bodies through the API and through `clarity import`, bad sidecars, a
FIFO in an import folder, a kill while a request is in flight, then the daily job, all through the
`clarity` command against the offline service, on one warehouse. Whatever the input or the fault:
no project spends more than its budget in a UTC day, every landed body is loaded once or set
aside in quarantine with a reason, the next run collects as usual, `dbt build` passes, no
traceback reaches the terminal and no secret reaches any output.

The full disk and the read-only data folder get their own small warehouses (a tmpfs and a
read-only bind mount: the tests run as root, for whom file modes do not stop a write)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.collect.landing import Landing
from ingestion.config import token_env_var
from tests.child import CLARITY, popen_python, project_folder
from tests.conftest import START, collection_time
from tests.integration.helpers import query, run_cli
from tests.webhook import Receiver

pytestmark = pytest.mark.integration

BLOG, SHOP = "fabrikam-blog", "northwind-shop"
PROJECTS = (BLOG, SHOP)
BUDGET = 10
# echoed back by a server fault: it must never be shown or stored anywhere
ECHOED_SECRET = "S3cr3tValueEchoed42"


@dataclass
class Step:
    name: str
    result: subprocess.CompletedProcess


@dataclass
class Scenario:
    folder: Path
    service: OfflineClarity
    steps: list[Step] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    archive: Path | None = None

    def step(self, name: str) -> subprocess.CompletedProcess:
        return next(s.result for s in self.steps if s.name == name)

    @property
    def db(self) -> Path:
        return self.folder / "clarity.duckdb"

    @property
    def secrets(self) -> list[str]:
        return [*self.service.tokens.values(), ECHOED_SECRET]


def _body_with(service, project, dims, now, patch) -> bytes:
    """A wire-shaped body of `project` with `patch(text)` applied to its JSON text."""
    return patch(json.dumps(service.response(project, dims, 1, now))).encode()


def _set_first(text: str, key: str, value: str) -> str:
    """`text` with the first value of `key` written as the JSON token `value`."""
    return re.sub(rf'"{key}": ("[^"]*"|[^,}}]+)', f'"{key}": {value}', text, count=1)


def _huge_scroll_depth(text: str) -> str:
    """averageScrollDepth = 1 followed by 400 zeros (no double holds it)."""
    return _set_first(text, "averageScrollDepth", "1" + "0" * 400)


def _non_finite(text: str) -> str:
    """NaN and Infinity as percentages (Python's JSON reads them), a count of 2**64 and a
    23-digit count string."""
    text = _set_first(text, "sessionsWithMetricPercentage", "NaN")
    text = _set_first(text, "sessionsWithoutMetricPercentage", "Infinity")
    text = _set_first(text, "pagesViews", str(2**64))
    return _set_first(text, "subTotal", '"12345678901234567890123"')


NESTED = b"[" * 100_000 + b"]" * 100_000


def _write_archive(service, folder: Path) -> Path:
    """An archive folder: one good body with its sidecar, bodies with bad sidecars, a body
    nested 100,000 arrays deep, a FIFO named like a body, and a file that is not a body."""
    folder.mkdir()
    fetched = collection_time(1) - timedelta(hours=3)
    good = service.response(BLOG, ("Country",), 1, fetched)
    (folder / "good.json").write_text(json.dumps(good))
    sidecar = {"project": BLOG, "dimensions": ["Country"], "num_of_days": 1}
    (folder / "good.meta.json").write_text(
        json.dumps({**sidecar, "fetched_at": fetched.isoformat()})
    )
    bad_sidecars = {
        "year_one": {**sidecar, "fetched_at": "0001-01-01T00:00:00+00:00"},
        "far_future": {**sidecar, "fetched_at": "2099-01-01T00:00:00+00:00"},
        "project_int": {**sidecar, "project": 7, "fetched_at": fetched.isoformat()},
        "seven_days": {**sidecar, "num_of_days": 7, "fetched_at": fetched.isoformat()},
        "dims_text": {**sidecar, "dimensions": "URL", "fetched_at": fetched.isoformat()},
        "empty_name": {**sidecar, "project": "", "fetched_at": fetched.isoformat()},
        "path_name": {**sidecar, "project": "../../x", "fetched_at": fetched.isoformat()},
        "naive_time": {**sidecar, "fetched_at": "2026-10-01T20:00:00"},
    }
    for name, meta in bad_sidecars.items():
        (folder / f"{name}.json").write_text(json.dumps(good))
        (folder / f"{name}.meta.json").write_text(json.dumps(meta))
    (folder / "nested.json").write_bytes(NESTED)
    (folder / "nested.meta.json").write_text(
        json.dumps({**sidecar, "fetched_at": (fetched - timedelta(hours=1)).isoformat()})
    )
    os.mkfifo(folder / "fifo.json")
    (folder / "notes.json").write_text("not a body, no sidecar")
    return folder


def _kill_while_in_flight(scenario: Scenario, now) -> subprocess.CompletedProcess:
    """`clarity ingest` killed (SIGKILL) while its first request to SHOP waits for an answer."""
    service = scenario.service
    service.inject_fault("delay", project=SHOP, dimensions=(), seconds=30)
    env = {
        "CLARITY_DUCKDB_PATH": str(scenario.db),
        "SOURCES__CLARITY__PROJECT_NAMES": json.dumps([SHOP]),
        "SOURCES__CLARITY__BASE_URL": service.base_url,
        token_env_var(SHOP): service.tokens[SHOP],
    }
    with project_folder() as project:
        process = popen_python(
            [*CLARITY, "ingest", "--no-checks", "--now", now.isoformat()],
            project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # the server counts a request when it arrives (before the delay)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not service.requests_counted(SHOP, now.date()):
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    service.clear_faults()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    folder = tmp_path_factory.mktemp("fault-matrix")
    service = OfflineClarity(projects=default_projects(), seed=7, start=START, days=8)
    with service, Receiver() as receiver:
        run = Scenario(folder, service)

        def cli(name: str, *args: str, timeout: float = 300) -> None:
            result = run_cli(
                service,
                folder,
                *args,
                env_extra={"CLARITY_NOTIFY_URLS": receiver.url},
                projects=PROJECTS,
                timeout=timeout,
            )
            run.steps.append(Step(name, result))

        def at(when) -> tuple[str, str]:
            service.clock.set(when)
            return ("--now", when.isoformat())

        cli("day 1", "ingest", "--no-checks", *at(collection_time(1)))
        day2 = collection_time(2)
        for dims, body in (
            (("Device",), _body_with(service, BLOG, ("Device",), day2, _huge_scroll_depth)),
            (("Browser",), NESTED),
            (("Country",), _body_with(service, BLOG, ("Country",), day2, _non_finite)),
        ):
            service.inject_fault("status", project=BLOG, dimensions=dims, status=200, body=body)
        cli("day 2 poison bodies", "ingest", "--no-checks", *at(day2))
        run.archive = _write_archive(service, folder.parent / "archive")
        cli("day 2 import", "import", "--no-checks", str(run.archive), timeout=120)
        cli("day 2 status", "status", *at(day2 + timedelta(minutes=5)))
        cli("day 2 again", "ingest", "--no-checks", *at(day2 + timedelta(hours=1)))
        day3 = collection_time(3)
        service.clock.set(day3)
        run.steps.append(Step("day 3 killed", _kill_while_in_flight(run, day3)))
        # a server fault that echoes the token and a secret URL parameter back
        service.inject_fault(
            "status",
            project=BLOG,
            dimensions=("OS",),
            status=500,
            body=f"upstream said: Bearer {service.tokens[BLOG]} at /x?token={ECHOED_SECRET}&a=1",
        )
        cli("day 3 run after the kill", "run", *at(day3 + timedelta(minutes=2)))
        cli("day 4 run", "run", *at(collection_time(4)))
        cli("day 4 quarantine", "quarantine")
        run.notifications = list(receiver.bodies)
    return run


def test_no_traceback_reaches_the_terminal(scenario):
    for step in scenario.steps:
        for stream in (step.result.stdout, step.result.stderr):
            assert "Traceback" not in stream, (step.name, stream[-3000:])


def test_no_project_spends_more_than_its_budget(scenario):
    days = [(START + timedelta(days=d)).date() for d in range(1, 5)]
    counted = {p: [scenario.service.requests_counted(p, d) for d in days] for p in PROJECTS}
    assert all(n <= BUDGET for per_day in counted.values() for n in per_day), counted
    # the request in flight when the run was killed was on the ledger: the next run spent
    # exactly the rest of the day's budget (an 11th would have been a 429)
    assert counted[SHOP][2] == BUDGET, counted
    statuses = query(
        scenario.db,
        "select error_class, count(*) from clarity_raw.requests where project = ? "
        "and cast(requested_at as date) = ? group by all",
        [SHOP, days[2]],
    )
    assert dict(statuses).get("interrupted") == 1, statuses
    assert 429 not in {e["status"] for e in scenario.service.request_log}


def test_poison_bodies_stop_nothing(scenario):
    day2 = scenario.step("day 2 poison bodies")
    assert day2.returncode == 3, day2.stderr  # some requests failed; what arrived is loaded
    assert "nests arrays or objects too deeply" in day2.stderr
    assert "[Browser]" in day2.stderr and BLOG in day2.stderr
    loaded = dict(
        query(
            scenario.db,
            "select dimensions, count(*) from clarity_raw.snapshots where project = ? "
            "and fetched_at = ? group by all",
            [BLOG, collection_time(2)],
        )
    )
    assert "Browser" not in loaded
    for dims in ("", "URL", "Device,URL", "Channel"):
        assert loaded.get(dims) == 1, loaded
    # the body no double holds and the non-finite values: loaded (values null, kept verbatim
    # aside) or set aside with a reason; never both, never stuck in pending
    aside = [
        json.loads(e.meta_path.read_text())["dimensions"]
        for e in Landing(scenario.folder).quarantined()
        if e.meta_path and (e.source or "").startswith("request ")
    ]
    for dims in ("Device", "Country"):
        assert (loaded.get(dims) == 1) != ([dims] in aside), (dims, loaded, aside)
    # the project beside it collected its whole budget
    assert scenario.service.requests_counted(SHOP, collection_time(2).date()) == BUDGET
    assert scenario.step("day 2 again").returncode == 0, scenario.step("day 2 again").stderr


def test_every_landed_body_is_loaded_once_or_set_aside_with_a_reason(scenario):
    landing = Landing(scenario.folder)
    assert list(landing.pending.glob("*.json")) == []
    assert list(landing.pending_requests.glob("*.json")) == []
    ids = [row[0] for row in query(scenario.db, "select snapshot_id from clarity_raw.snapshots")]
    assert len(ids) == len(set(ids))
    archived = {p.stem for p in landing.loaded.rglob("*.json") if not p.name.endswith(".meta.json")}
    assert archived == set(ids)
    entries = landing.quarantined()
    assert entries and all(e.reason and e.error_class for e in entries)
    # every answer with data that did not become a snapshot says why in its request record
    unexplained = query(
        scenario.db,
        "select request_id from clarity_raw.requests where status = 200 and snapshot_id is null "
        "and error_class is null",
    )
    assert unexplained == []
    # each snapshot's rows are all loaded
    short = query(
        scenario.db,
        "select s.snapshot_id from clarity_raw.snapshots as s left join (select snapshot_id, "
        "count(*) as n from clarity_raw.metric_rows group by 1) as m using (snapshot_id) "
        "where s.row_count <> coalesce(m.n, 0)",
    )
    assert short == []


def test_bad_sidecars_and_odd_files_are_refused_alone(scenario):
    result = scenario.step("day 2 import")
    assert result.returncode == 3
    reasons = " ".join(e.reason for e in Landing(scenario.folder).quarantined())
    for expected in (
        "fetched_at '0001-01-01T00:00:00+00:00' is outside",
        "fetched_at '2099-01-01T00:00:00+00:00' is outside",
        "project 7 is int",
        "num_of_days must be 1, 2 or 3, got 7",
        "dimensions must be a list of dimension names",
        "project '' is empty",
        "project '../../x' starts with '.'",
        "has no UTC offset",
        "nests arrays or objects too deeply",
    ):
        assert expected in reasons, expected
    assert "fifo.json: is a FIFO, not a regular file; skipped (never opened)" in result.stderr
    assert "notes.json: no sidecar" in result.stderr
    assert "1 new" in result.stdout  # the good body beside them
    assert query(
        scenario.db,
        "select count(*) from clarity_raw.snapshots where origin = 'archive'",
    ) == [(1,)]
    projects = {
        row[0] for row in query(scenario.db, "select distinct project from clarity_raw.snapshots")
    }
    assert projects == set(PROJECTS)
    status = scenario.step("day 2 status")
    assert status.returncode == 0, status.stderr
    assert "quarantine" in status.stdout and "invalid_meta" in status.stdout


def test_the_daily_job_builds_and_collects_as_usual_afterwards(scenario):
    result = scenario.step("day 4 run")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for step in ("ingest", "dbt build", "publish", "report"):
        assert any(line.startswith(f"{step} ") and " ok " in line for line in lines), lines
    day4 = collection_time(4).date()
    for project in PROJECTS:
        assert scenario.service.requests_counted(project, day4) == BUDGET
    listed = scenario.step("day 4 quarantine")
    assert listed.returncode == 0 and "set aside, never loaded" in listed.stdout


def test_no_secret_in_any_output(scenario):
    texts = {f"{s.name} stdout": s.result.stdout for s in scenario.steps}
    texts |= {f"{s.name} stderr": s.result.stderr for s in scenario.steps}
    texts["notifications"] = json.dumps(scenario.notifications)
    for path in scenario.folder.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for database in (scenario.db, scenario.folder / "clarity_published.duckdb"):
        con = duckdb.connect(str(database), read_only=True)
        try:
            for schema, table, column in con.execute(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where data_type = 'VARCHAR'"
            ).fetchall():
                values = con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}"'
                ).fetchall()
                texts[f"{database.name}:{schema}.{table}.{column}"] = " ".join(
                    str(v[0]) for v in values
                )
        finally:
            con.close()
    for secret in scenario.secrets:
        leaks = [where for where, text in texts.items() if secret in text]
        assert leaks == [], (secret[:6], leaks)


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = f"mount {' '.join(args)} failed: {done.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI runs as root and must be able to mount)")
        pytest.skip(message)


def _single_sentence(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("clarity: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_full_disk_stops_cleanly_and_the_next_run_completes_everything(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    _mount("-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder))
    try:
        with OfflineClarity(projects=default_projects(), seed=7, start=START, days=8) as service:
            results = []
            for day in range(1, 8):  # until the landing folder itself is full
                service.clock.set(collection_time(day))
                results.append(
                    run_cli(
                        service,
                        folder,
                        "ingest",
                        "--no-checks",
                        "--now",
                        collection_time(day).isoformat(),
                        projects=PROJECTS,
                    )
                )
                if "clarity: Cannot write to" in results[-1].stderr:
                    break
            # the runs before the disk fills succeed; each one after it fails cleanly
            failed = [result for result in results if result.returncode != 0]
            assert failed and results[-len(failed) :] == failed
            for result in results:
                assert "Traceback" not in result.stderr + result.stdout
            for result in failed:
                assert result.returncode in (1, 3), result.stderr
            # every problem is said as what happened and what to do
            said = [
                line
                for result in results
                for line in result.stderr.splitlines()
                if line.startswith(("clarity: ", "  error: ", "  load failed: "))
            ]
            assert said and all("free some space" in line for line in said), said
            assert any("The disk is full" in line for line in said)
            assert any("No request is sent to Clarity" in line for line in said)
            last = len(results)
            _mount("-o", "remount,size=300m", str(folder))
            service.clock.set(collection_time(5))
            done = run_cli(
                service,
                folder,
                "ingest",
                "--now",
                collection_time(5).isoformat(),
                projects=PROJECTS,
            )
            assert done.returncode == 0, done.stderr
            for project in PROJECTS:
                for day in range(1, last + 2):
                    assert service.requests_counted(project, collection_time(day).date()) <= BUDGET
            db = folder / "clarity.duckdb"
            short = query(
                db,
                "select count(*) from clarity_raw.snapshots as s left join (select snapshot_id, "
                "count(*) as n from clarity_raw.metric_rows group by 1) as m using (snapshot_id) "
                "where s.row_count <> coalesce(m.n, 0)",
            )
            assert short == [(0,)]
            counts = query(
                db, "select count(*), count(distinct snapshot_id) from clarity_raw.snapshots"
            )
            assert counts[0][0] == counts[0][1] > 0
            assert list((folder / "landing" / "pending").glob("*.json")) == []
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_data_folder_is_one_sentence_and_no_request(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=8) as service:
        service.clock.set(collection_time(1))
        first = run_cli(
            service,
            folder,
            "ingest",
            "--no-checks",
            "--now",
            collection_time(1).isoformat(),
            projects=PROJECTS,
        )
        assert first.returncode == 0, first.stderr
        sent = len(service.request_log)
        (tmp_path / "body.json").write_text(
            json.dumps(service.response(BLOG, (), 1, collection_time(1)))
        )
        _mount("--bind", str(folder), str(folder))
        try:
            _mount("-o", "remount,bind,ro", str(folder))
            service.clock.set(collection_time(2))
            when = collection_time(2).isoformat()
            ingest = run_cli(service, folder, "ingest", "--now", when, projects=PROJECTS)
            imported = run_cli(
                service,
                folder,
                "import",
                "--project",
                BLOG,
                "--num-days",
                "1",
                "--fetched-at",
                when,
                str(tmp_path / "body.json"),
                projects=PROJECTS,
            )
            published = run_cli(service, folder, "publish", projects=PROJECTS)
            status = run_cli(service, folder, "status", projects=PROJECTS)
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        assert len(service.request_log) == sent  # nothing was asked
    for result in (ingest, imported, published):
        assert result.returncode != 0
        assert "Read-only file system" in _single_sentence(result)
    assert status.returncode == 0 and "Traceback" not in status.stderr
