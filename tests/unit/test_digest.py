"""When the weekly digest is due, its week, and its report reaching a channel that takes
attachments."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest

from ingestion.outputs.digest import Digest, digest_key, is_due, iso_week
from ingestion.outputs.notify import WEEKDAYS, Notifier
from tests.webhook import Receiver

MONDAY = datetime(2026, 11, 30, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize("weekday", WEEKDAYS)
def test_it_is_due_from_its_weekday_to_the_end_of_the_week(weekday):
    first = WEEKDAYS.index(weekday)
    due = [is_due(MONDAY + timedelta(days=k), weekday) for k in range(7)]
    assert due == [k >= first for k in range(7)]


def test_off_is_never_due():
    assert not any(is_due(MONDAY + timedelta(days=k), "off") for k in range(7))


def test_one_key_per_iso_week_across_the_new_year():
    assert iso_week(date(2026, 12, 28)) == iso_week(date(2027, 1, 3)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"
    keys = {digest_key(iso_week((MONDAY + timedelta(days=k, hours=23)).date())) for k in range(7)}
    assert keys == {"digest:2026-W49"}
    assert digest_key(iso_week((MONDAY + timedelta(days=7)).date())) == "digest:2026-W50"
    # the digest of one project is not the week's digest of every project
    assert digest_key("2026-W49", "shop") == "digest:2026-W49:shop"
    one = Digest("2026-W49", "t", "b", 1, "shop").message()
    assert one.key == "digest:2026-W49:shop" != Digest("2026-W49", "t", "b", 3).message().key


def test_the_report_is_attached_once_and_the_week_is_then_sent(tmp_path):
    report = tmp_path / "clarity-digest-2026-W49.html"
    report.write_text("<html><svg></svg></html>")
    message = Digest("2026-W49", "Clarity weekly digest 2026-W49: shop", "summary", 1).message(
        [report]
    )
    with Receiver() as receiver:
        notifier = Notifier([receiver.url], tmp_path / "state.json")
        assert not notifier.was_sent(message.key)
        notifier.send([message], MONDAY)
        assert notifier.was_sent("digest:2026-W49")
        notifier.send([message], MONDAY + timedelta(days=3))
    (body,) = receiver.bodies
    (attached,) = body["attachments"]
    assert attached["filename"] == report.name
    assert base64.b64decode(attached["base64"]) == report.read_bytes()
