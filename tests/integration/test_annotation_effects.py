"""Did it work: annotations recorded on a copy of the demo warehouse, fct_annotation_effects
built over them, each row equal to the counts and the z test computed here from
fct_signal_daily; the report says it in sentences and marks the annotations on the daily chart,
as a real browser shows it."""

from __future__ import annotations

import json
import math
import re
import shutil
from datetime import date, timedelta

import pytest

from ingestion.config import duckdb_warehouse
from ingestion.outputs import marts
from ingestion.outputs.report import write_report
from ingestion.outputs.report.effects import EMPTY, SIGNAL_LABELS
from ingestion.transform.dbt_runner import run_dbt
from ingestion.warehouse import journal
from tests.browser import render
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

DOCS = "contoso-docs"  # the demo's planted rage-click regression: a page, from 29 Oct
PAGE = "https://docs.contoso.example/docs/api/authentication"
DAYS = 6  # each side, set for this build (var clarity_annotation_effect_days)
MIN_SESSIONS = 100  # the var's default
REPORT_DAYS = 40  # the report's period reaches every annotation below


@pytest.fixture(scope="module")
def annotated(built_warehouse, tmp_path_factory):
    """The demo warehouse copied, three annotations of DOCS recorded, and the two models built:
    a release of the regressed page the day before it regressed, a fix of the site whose before
    window holds the three estimated first dates, and a note whose after window is not over."""
    folder = tmp_path_factory.mktemp("annotated")
    db = folder / "clarity.duckdb"
    shutil.copy(built_warehouse.path, db)
    entries = [
        journal.Annotation(DOCS, date(2026, 10, 28), "release", "new sign-in form", page_url=PAGE),
        journal.Annotation(DOCS, date(2026, 10, 3), "fix", "cookie banner"),
        journal.Annotation(DOCS, date(2026, 11, 1), "note", "newsletter sent"),
    ]
    journal.append(duckdb_warehouse(db), *entries)
    code, _ = run_dbt(
        [
            "build", "--select", "stg_clarity__annotations", "fct_annotation_effects",
            "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"clarity_annotation_effect_days": DAYS}),
        ],
        db,
        target_path=folder / "dbt-target",
    )  # fmt: skip
    assert code == 0, "fct_annotation_effects did not build (see the output above)"
    return db, {entry.kind: entry for entry in entries}


def _expected(db, annotation: journal.Annotation, signal: str) -> dict:
    """One row of fct_annotation_effects computed here from fct_signal_daily."""
    scope = "page" if annotation.page_url else "site"
    day = annotation.annotation_date
    rows = query(
        db,
        "select activity_date, base_sessions, sessions_with_signal, value_source "
        "from marts.fct_signal_daily where project = ? and scope = ? and signal = ? "
        "and (scope_key = ? or ? is null)",
        [annotation.project, scope, signal, annotation.page_url, annotation.page_url],
    )
    latest = query(
        db,
        "select max(activity_date) from marts.fct_signal_daily where project = ? "
        "and scope = 'site'",
        [annotation.project],
    )[0][0]
    sides = {
        "before": [r for r in rows if day - timedelta(days=DAYS) <= r[0] < day],
        "after": [r for r in rows if day < r[0] <= day + timedelta(days=DAYS)],
    }
    out: dict = {"after_window_complete": latest >= day + timedelta(days=DAYS)}
    for side, days in sides.items():
        exact = [r for r in days if r[3] != "solved_estimate"]
        out[f"days_{side}"] = len(days)
        out[f"estimated_days_{side}"] = len(days) - len(exact)
        out[f"sessions_{side}"] = sum(r[1] for r in exact)
        out[f"sessions_with_signal_{side}"] = sum(r[2] for r in exact)
    n_b, n_a = out["sessions_before"], out["sessions_after"]
    x_b, x_a = out["sessions_with_signal_before"], out["sessions_with_signal_after"]
    out["rate_before"] = x_b / n_b if n_b else None
    out["rate_after"] = x_a / n_a if n_a else None
    pooled = (x_b + x_a) / (n_b + n_a) if n_b + n_a else None
    variance = pooled * (1 - pooled) * (1 / n_b + 1 / n_a) if n_b and n_a else 0
    out["z"] = (out["rate_after"] - out["rate_before"]) / math.sqrt(variance) if variance else None
    enough = n_b >= MIN_SESSIONS and n_a >= MIN_SESSIONS
    out["outcome"] = (
        "after_window_incomplete"
        if not out["after_window_complete"]
        else "too_few_sessions"
        if not enough
        else "no_change"
        if out["z"] is None or abs(out["z"]) < 1.96
        else "lower"
        if out["z"] < 0
        else "higher"
    )
    return out


def test_each_effect_equals_the_counts_computed_by_hand(annotated):
    db, entries = annotated
    columns = [
        "after_window_complete", "days_before", "estimated_days_before", "sessions_before",
        "sessions_with_signal_before", "days_after", "estimated_days_after", "sessions_after",
        "sessions_with_signal_after", "rate_before", "rate_after", "z", "outcome",
    ]  # fmt: skip
    for annotation in entries.values():
        found = query(
            db,
            f"select signal, scope, effect_days, {', '.join(columns)} "
            "from marts.fct_annotation_effects where annotation_id = ? order by signal",
            [annotation.annotation_id],
        )
        assert sorted(r[0] for r in found) == sorted(SIGNAL_LABELS), annotation.kind
        for signal, scope, effect_days, *values in found:
            assert (scope, effect_days) == ("page" if annotation.page_url else "site", DAYS)
            expected = _expected(db, annotation, signal)
            for name, value in zip(columns, values, strict=True):
                want = expected[name]
                if isinstance(want, float):
                    assert value == pytest.approx(want, rel=1e-9), (annotation.kind, signal, name)
                else:
                    assert value == want, (annotation.kind, signal, name)

    # what the three annotations were chosen to show
    release = _expected(db, entries["release"], "rage_click")
    assert release["outcome"] == "higher" and release["z"] > 5, release
    fix = _expected(db, entries["fix"], "rage_click")
    assert fix["estimated_days_before"] == 3 and fix["days_before"] == 4, fix
    assert _expected(db, entries["note"], "rage_click")["outcome"] == "after_window_incomplete"


def test_the_marts_module_gives_annotations_and_effects(annotated, built_warehouse):
    db, entries = annotated
    with marts.connect(db) as con:
        reader = marts.records(con)
        marks = reader.annotations(DOCS, date(2026, 10, 1), date(2026, 11, 4))
        effects = reader.annotation_effects(DOCS, date(2026, 10, 20), date(2026, 11, 4))
    assert [(m["annotation_date"], m["kind"], m["page_url"]) for m in marks] == [
        (date(2026, 10, 3), "fix", None),
        (date(2026, 10, 28), "release", PAGE),
        (date(2026, 11, 1), "note", None),
    ]
    assert len(effects) == 12  # two annotations dated from 20 Oct, six signals each
    release = [e for e in effects if e["annotation_id"] == entries["release"].annotation_id]
    assert release[0]["signal"] == "rage_click", "the largest |z| comes first"
    # the shared demo warehouse has the mart and no annotation: nothing, not an error
    with marts.connect(built_warehouse.path) as con:
        assert marts.records(con).annotations(DOCS, date(2026, 1, 1), date(2027, 1, 1)) == []


def test_a_real_browser_shows_did_it_work_and_the_marks(annotated, tmp_path):
    db, entries = annotated
    out = tmp_path / "clarity-report.html"
    write_report(db, out, days=REPORT_DAYS)
    text = out.read_text(encoding="utf-8")
    release = _expected(db, entries["release"], "rage_click")
    sentence = (
        f"rage clicks on /docs/api/authentication: {release['rate_before'] * 100:.1f}% -> "
        f"{release['rate_after'] * 100:.1f}% after the release of 28 Oct "
        f"(z = {release['z']:.1f})"
    )
    effects = f"section#{DOCS} ul.effects"
    empty = 'section#fabrikam-blog p.empty[data-section="effects"]'
    daily = f'section#{DOCS} div[data-section="daily"]'
    rendered = render(out, height=2400, parts=(effects, empty, daily))
    assert rendered.errors == []
    shown = rendered.parts[effects]
    assert shown.visible and shown.height > 0
    lines = shown.text.splitlines()
    assert any(line.startswith(sentence) for line in lines), (sentence, lines)
    note_days = sum(
        1 for d in range(1, DAYS + 1) if date(2026, 11, 1) + timedelta(days=d) <= date(2026, 11, 4)
    )
    assert (
        f"the site: not enough days after yet: {note_days} of the {DAYS} days after the note "
        "of 01 Nov (“newsletter sent”) have data so far." in lines
    ), lines
    assert any("3 estimated day(s) left out" in line for line in lines), lines
    assert rendered.parts[empty].visible and rendered.parts[empty].text == EMPTY
    # the marks: each annotation's label is text of the daily chart's SVG (a long one cut)
    assert rendered.parts[daily].visible
    for label in ("release 28 Oct /docs/api", "fix 03 Oct", "note 01 Nov"):
        assert re.search(f">{re.escape(label)}[^<]*</text>", text), label

    md = tmp_path / "clarity-report.md"
    write_report(db, md, days=REPORT_DAYS, fmt="md")
    markdown = md.read_text(encoding="utf-8")
    assert "### Did it work?" in markdown and f"- {sentence}" in markdown
