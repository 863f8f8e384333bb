"""The landing folder and snapshot descriptions: strict descriptions, a body that cannot become
rows set aside alone with its reason, quarantine listed and released."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.api.snapshot import InvalidSnapshotMeta, SnapshotMeta
from ingestion.collect.landing import INVALID_META, UNPARSEABLE_BODY, Landing
from ingestion.load import source as source_module
from ingestion.load.source import BodyGuard

NOW = datetime(2026, 11, 2, 0, 10, tzinfo=UTC)
GOOD = {
    "project": "shop",
    "dimensions": ["URL"],
    "num_of_days": 1,
    "fetched_at": "2026-11-02T00:10:00+00:00",
    "origin": "api",
}
BODY = json.dumps(
    [{"metricName": "Traffic", "information": [{"totalSessionCount": "5", "Url": "/a"}]}]
).encode()


def test_a_valid_description_reads_back():
    meta = SnapshotMeta.from_json(GOOD, now=NOW)
    assert meta.dimensions == ("URL",) and meta.fetched_at == NOW
    assert SnapshotMeta.from_json(meta.to_json(), now=NOW) == meta


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"num_of_days": 7}, "num_of_days must be 1, 2 or 3, got 7"),
        ({"num_of_days": True}, "num_of_days must be 1, 2 or 3"),
        ({"num_of_days": "1"}, "num_of_days must be 1, 2 or 3"),
        ({"fetched_at": "0001-01-01T00:00:00+00:00"}, "is outside 2020-01-01"),
        ({"fetched_at": "2099-01-01T00:00:00+00:00"}, "is outside 2020-01-01"),
        ({"fetched_at": "2026-11-02T00:10:00"}, "has no UTC offset"),
        ({"fetched_at": "yesterday"}, "must be an ISO 8601 time"),
        ({"fetched_at": 1730505600}, "must be an ISO 8601 time"),
        ({"dimensions": "URL"}, "dimensions must be a list of dimension names"),
        ({"dimensions": [1, 2]}, "dimensions must be a list of dimension names"),
        ({"dimensions": ["Country/Region", "Nope"]}, "Unknown Clarity dimension 'Nope'"),
        ({"project": 7}, "project 7 is int"),
        ({"project": ""}, "project '' is empty"),
        ({"project": "../../x"}, "project '../../x' starts with '.'"),
        ({"origin": "elsewhere"}, "origin must be one of api, offline, archive"),
        ({"http_status": 500}, "http_status must be 200"),
    ],
)
def test_a_description_that_does_not_check_out_says_why(change, said):
    with pytest.raises(InvalidSnapshotMeta, match=None) as raised:
        SnapshotMeta.from_json({**GOOD, **change}, now=NOW)
    assert said in str(raised.value)


def test_every_problem_is_listed_and_missing_keys_named():
    with pytest.raises(InvalidSnapshotMeta) as raised:
        SnapshotMeta.from_json({"project": "", "num_of_days": 9}, now=NOW)
    text = str(raised.value)
    assert "it lacks dimensions, fetched_at" in text and "is empty" in text and "got 9" in text
    with pytest.raises(InvalidSnapshotMeta, match="not an object"):
        SnapshotMeta.from_json(["shop"], now=NOW)


def test_a_fetch_time_may_run_a_day_ahead_of_the_clock():
    ahead = {**GOOD, "fetched_at": (NOW + timedelta(hours=20)).isoformat()}
    assert SnapshotMeta.from_json(ahead, now=NOW).fetched_at == NOW + timedelta(hours=20)


def test_a_bad_pending_description_is_reported_not_raised(tmp_path):
    landing = Landing(tmp_path)
    good = landing.land_body(SnapshotMeta.from_json(GOOD, now=NOW), BODY)
    other = SnapshotMeta.from_json({**GOOD, "dimensions": []}, now=NOW)
    broken = landing.land_body(other, BODY)
    broken.meta_path.write_text(json.dumps({**GOOD, "project": 7}))
    found, bad = landing.scan_pending(NOW)
    assert [p.snapshot_id for p in found] == [good.snapshot_id]
    assert len(bad) == 1 and bad[0].error_class == INVALID_META
    assert "project 7 is int" in bad[0].reason
    target = landing.quarantine_bad(bad[0])
    [entry] = landing.quarantined()
    assert entry.body_path == target and entry.meta_path is not None
    assert "project 7 is int" in entry.reason and entry.error_class == INVALID_META
    # status and planning read the landing folder without the lock: they never move files
    assert landing.pending_snapshots(NOW)[0].snapshot_id == good.snapshot_id


def test_a_description_without_its_body_is_removed_by_the_loader(tmp_path):
    landing = Landing(tmp_path)
    pending = landing.land_body(SnapshotMeta.from_json(GOOD, now=NOW), BODY)
    pending.body_path.unlink()  # its write failed
    assert landing.scan_pending(NOW) == ([], [])
    landing.remove_bodiless_descriptions()
    assert list(landing.pending.iterdir()) == []


def test_a_body_that_cannot_become_rows_is_set_aside_alone(tmp_path, monkeypatch):
    landing = Landing(tmp_path)
    metas = [
        SnapshotMeta.from_json({**GOOD, "fetched_at": f"2026-11-02T0{h}:10:00+00:00"}, now=NOW)
        for h in range(3)
    ]
    metas = [
        SnapshotMeta(m.project, m.dimensions, 1, m.fetched_at, "api", f"req-{i}")
        for i, m in enumerate(metas)
    ]
    pending = [landing.land_body(meta, BODY) for meta in metas]
    real = source_module.parse_blocks

    def fails_on_the_second(meta, *args, **kwargs):
        if meta.request_id == "req-1":
            raise OverflowError("int too large to convert to float")
        return real(meta, *args, **kwargs)

    monkeypatch.setattr(source_module, "parse_blocks", fails_on_the_second)
    guard = BodyGuard("run-1", landing.quarantine_pending)
    parsed = [(item, guard.parse(item)) for item in pending]
    kept = [(item, body) for item, body in parsed if body is not None]
    snapshots, rows = guard.tables(kept)
    assert snapshots.num_rows == 2 and rows.num_rows == 2
    assert list(guard.failed_requests) == ["req-1"]
    change = guard.failed_requests["req-1"]
    assert change["error_class"] == UNPARSEABLE_BODY and change["snapshot_id"] is None
    assert "OverflowError: int too large" in change["error_message"]
    [entry] = landing.quarantined()
    assert entry.source == "request req-1" and "OverflowError" in entry.reason
    assert not pending[1].body_path.exists()


def test_arrow_refusing_one_body_sets_that_body_aside(tmp_path, monkeypatch):
    landing = Landing(tmp_path)
    metas = [SnapshotMeta("shop", (), 1, NOW - timedelta(hours=h), "archive") for h in range(2)]
    pending = [landing.land_body(meta, BODY) for meta in metas]
    guard = BodyGuard("run-1", landing.quarantine_pending)
    parsed = [(item, guard.parse(item)) for item in pending]
    parsed[0][1].columns["total_session_count"] = [object()]  # no Arrow type holds it
    snapshots, rows = guard.tables(parsed)
    assert snapshots.num_rows == 1 and rows.num_rows == 1
    [entry] = landing.quarantined()
    assert entry.body_path.name == pending[0].body_path.name
    assert entry.error_class == UNPARSEABLE_BODY


def test_release_puts_a_quarantined_body_back_and_refuses_one_without_description(tmp_path):
    landing = Landing(tmp_path)
    meta = SnapshotMeta.from_json(GOOD, now=NOW)
    landing.set_aside(
        "x1", BODY, meta, reason="parser bug", error_class=UNPARSEABLE_BODY, source=None
    )
    landing.set_aside(
        "x2", BODY, None, reason="no sidecar", error_class=INVALID_META, source="/archive/x2.json"
    )
    first, second = sorted(landing.quarantined(), key=lambda e: e.name)
    released = landing.release(first)
    assert released.snapshot_id == meta.snapshot_id and released.body_path.exists()
    with pytest.raises(InvalidSnapshotMeta, match="clarity import"):
        landing.release(second)
    assert [e.name for e in landing.quarantined()] == ["x2"]
