"""`clarity report` on the demo warehouse: one self-contained HTML file whose charts have real
marks and whose numbers are the marts', rendered by a real browser; and the Markdown form."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from datetime import UTC, time, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from clarity_tools.demo import collect, collect_nightly, collection_moments
from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.outputs.highlights import print_highlights
from ingestion.outputs.marts import SIGNAL_KEYS
from ingestion.outputs.report import write_report
from ingestion.outputs.report.charts import SECTIONS
from ingestion.outputs.report.data import HEATMAP_MIN_SESSIONS
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.browser import colours, ink, render
from tests.conftest import START, collection_time, make_config
from tests.integration.helpers import BLOG, query, run_cli

pytestmark = pytest.mark.integration

DAYS = 28


@pytest.fixture(scope="module")
def report(built_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "clarity-report.html"
    result = write_report(built_warehouse.path, out, days=DAYS)
    return result, out.read_text(encoding="utf-8"), built_warehouse.path


class _Outline(HTMLParser):
    """Sections, charts and their marks, the table cells, and every outside reference."""

    def __init__(self) -> None:
        super().__init__()
        self.project: str | None = None
        self.chart: tuple[str, str] | None = None
        self.marks: dict[tuple[str, str], int] = {}
        self.references: list[str] = []
        self.tags: set[str] = set()
        self.cells: list[str] = []
        self._in_cell = False
        self._mark_group = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            value = attrs.get(name)
            if value and not value.startswith(("#", "data:")):
                self.references.append(value)
        if tag == "section":
            self.project = attrs.get("id")
        if tag == "div" and "data-section" in attrs:
            self.chart = (self.project, attrs["data-section"])
            self.marks[self.chart] = 0
        cls = attrs.get("class") or ""
        if tag == "g" and cls.startswith("mark-") and "mark-group" not in cls:
            if any(kind in cls for kind in ("mark-line", "mark-rect", "mark-symbol", "mark-area")):
                self._mark_group += 1
        if tag == "path" and self.chart and self._mark_group and attrs.get("d"):
            self.marks[self.chart] += 1
        if tag == "td":
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag == "div":
            self.chart = None
        if tag == "g" and self._mark_group:
            self._mark_group -= 1
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell and self.cells:
            self.cells[-1] += data


def _outline(text: str) -> _Outline:
    outline = _Outline()
    outline.feed(text)
    return outline


def test_the_html_references_nothing_outside_itself(report):
    _, text, _ = report
    outline = _outline(text)
    assert outline.references == []
    assert not {"script", "link", "img", "iframe", "object"} & outline.tags
    assert "@import" not in text and "@font-face" not in text
    # the only url()s are references to gradients inside the same SVG
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", text))


def test_every_section_of_every_project_has_a_chart_with_marks(report, built_warehouse):
    result, text, db = report
    projects = [row[0] for row in query(db, "select distinct project from marts.fct_site_daily")]
    outline = _outline(text)
    assert result.projects == len(projects) == 3
    expected = {(project, key) for project in projects for key, _, _ in SECTIONS}
    assert set(outline.marks) == expected
    assert result.charts == len(expected)
    empty = [chart for chart, marks in outline.marks.items() if marks == 0]
    assert not empty, f"charts without marks: {empty}"


def test_the_numbers_are_the_marts(report):
    _, text, db = report
    [(project, page, excess)] = query(
        db,
        "select project, page_url, excess_frustrated_sessions_7d "
        "from marts.fct_page_frustration_daily as f "
        "where frustration_rank_7d = 1 and project = 'contoso-docs' and activity_date = "
        "(select max(activity_date) from marts.fct_page_frustration_daily "
        " where project = f.project)",
    )
    section = text[text.index(f'<section id="{project}">') :]
    section = section[: section.index("</section>")]
    cells = _outline(section).cells
    rank_one = cells.index("1")
    assert cells[rank_one + 1] == page and cells[rank_one + 2] == f"{excess:.1f}"
    assert f"{page} ({excess:+.1f})" in section  # the summary names it first
    end = query(
        db, "select max(activity_date) from marts.fct_site_daily where project = ?", [project]
    )[0][0]
    incidents = query(
        db,
        "select count(*) from marts.fct_incidents where project = ? "
        "and (status = 'open' or last_seen_on >= ? or resolved_on >= ?)",
        [project, end - timedelta(days=DAYS - 1), end - timedelta(days=DAYS - 1)],
    )[0][0]
    assert incidents > 0
    table = section[section.index('<table class="incidents">') :]
    table = table[: table.index("</table>")]
    assert table.count("</tr>") - 1 == incidents  # one row per incident, under the header
    recent = query(
        db,
        "select count(*) from marts.fct_alerts where project = ? and scope <> 'collection' "
        "and activity_date > ?",
        [project, end - timedelta(days=7)],
    )[0][0]
    tested = query(
        db,
        "select count(*) from marts.fct_site_daily where project = ? and activity_date > ? "
        "and value_source <> 'solved_estimate'",
        [project, end - timedelta(days=7)],
    )[0][0]
    assert f"{recent} signal alert(s) on the {tested} tested day(s)" in section


def test_a_real_browser_renders_it(report, tmp_path):
    result, _, _ = report
    rendered = render(result.path)
    assert rendered.errors == []
    assert rendered.requests == [result.path.resolve().as_uri()], "it fetched something else"
    assert rendered.colours() > 50 and rendered.ink() > 0.05, "the page looks blank"
    (tmp_path / "report.png").write_bytes(rendered.screenshot)


def test_the_markdown_form_has_png_charts_beside_it(built_warehouse, tmp_path):
    out = tmp_path / "clarity-report.md"
    result = write_report(built_warehouse.path, out, days=DAYS, project="fabrikam-blog", fmt="md")
    text = out.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert result.projects == 1 and len(images) == len(SECTIONS) == result.charts
    for image in images:
        png = (tmp_path / image).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 2000
    assert "## fabrikam-blog" in text and "sessions over 7 of the last 7 days" in text


def _referrer_sites(db, project: str, end) -> list[tuple[str, int, int]]:
    """The period's referring sites from fct_top_list_daily, computed here from the rows: per
    host (the item when there is none), the sessions of the days' lists and the days listed."""
    rows = query(
        db,
        "select coalesce(referrer_host, item), sum(sessions), count(distinct activity_date) "
        "from marts.fct_top_list_daily where project = ? and list_name = 'referrer' "
        "and activity_date between ? and ? group by 1 order by 2 desc, 1",
        [project, end - timedelta(days=DAYS - 1), end],
    )
    return [(host, int(sessions), days) for host, sessions, days in rows]


def test_where_visitors_come_from_lists_the_marts_referrers(report):
    _, text, db = report
    project = "contoso-docs"
    end = query(
        db, "select max(activity_date) from marts.fct_site_daily where project = ?", [project]
    )[0][0]
    sites = _referrer_sites(db, project, end)
    section = text[text.index(f'<section id="{project}">') :]
    section = section[: section.index("</section>")]
    table = section[section.index("<th>referring site</th>") :]
    table = table[: table.index("</table>")]
    cells = _outline(table).cells
    shown = [cells[i : i + 4] for i in range(0, len(cells), 4)]
    assert len(shown) == min(len(sites), 8) > 3
    for (site, sessions, days), (label, cell_sessions, cell_days, _) in zip(
        sites, shown, strict=False
    ):
        assert label == ("(no referrer: direct)" if site == "(not set)" else site)
        assert cell_sessions == f"{sessions:,}" and cell_days.startswith(f"{days} of ")
    assert "not zero" in section  # the table says what a top-10 list cannot answer


def test_a_real_browser_shows_the_referrers_and_scroll_depth(report, tmp_path):
    result, _, db = report
    project = "contoso-docs"
    chart = f'section#{project} div[data-section="referrers"]'
    scroll = f'section#{project} div[data-section="scroll"]'
    rendered = render(
        result.path,
        parts=(f"#{project}-referrers", chart, f"{chart} + table", f"#{project}-scroll", scroll),
    )
    assert rendered.errors == []
    heading = rendered.parts[f"#{project}-referrers"]
    assert heading.visible and heading.text.startswith("Where visitors come from · ")
    for name, selector in (("referrers", chart), ("scroll", scroll)):
        drawn = rendered.parts[selector]
        assert drawn.visible and drawn.width > 300 and drawn.height > 100, selector
        assert colours(drawn.screenshot) > 10 and ink(drawn.screenshot) > 0.05, selector
        (tmp_path / f"{name}.png").write_bytes(drawn.screenshot)
    table = rendered.parts[f"{chart} + table"]
    end = query(
        db, "select max(activity_date) from marts.fct_site_daily where project = ?", [project]
    )[0][0]
    top_site, sessions, _ = _referrer_sites(db, project, end)[0]
    assert table.visible and f"{top_site}\t{sessions:,}" in table.text
    assert rendered.parts[f"#{project}-scroll"].text.startswith("Scroll depth by device · ")


# the text marks of one chart's SVG (not its axes, legends or titles)
_MARK_TEXTS = re.compile(r'<g class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', re.DOTALL)


def test_each_heatmap_cell_shows_its_sessions_and_too_few_under_the_minimum(report):
    _, text, db = report
    project = "contoso-docs"
    end = query(
        db, "select max(activity_date) from marts.fct_site_daily where project = ?", [project]
    )[0][0]
    sums = ", ".join(f"sum({key}_base_sessions)" for key in SIGNAL_KEYS)
    rows = query(
        db,
        f"select dimension, dimension_value, {sums} from marts.fct_segment_daily "
        "where project = ? and dimension in ('Device', 'Browser') "
        "and activity_date between ? and ? group by 1, 2",
        [project, end - timedelta(days=6), end],
    )
    expected = sorted(
        f"{int(n or 0):,}" if (n or 0) >= HEATMAP_MIN_SESSIONS else f"too few: {int(n or 0):,}"
        for _, _, *bases in rows
        for n in bases
    )
    section = text[text.index(f'<section id="{project}">') :]
    chart = section[section.index('data-section="segments"') :]
    chart = chart[: chart.index("</svg>")]
    shown = sorted(
        html.unescape(cell)
        for group in _MARK_TEXTS.findall(chart)
        for cell in re.findall(r"<text[^>]*>([^<]*)</text>", group)
    )
    assert shown == expected
    assert any(cell.startswith("too few: ") for cell in shown), "the demo has small segments"
    assert any(not cell.startswith("too few") for cell in shown)


CLARITY_ID = "abc123xyz"
LINKED = "contoso-docs"


@pytest.fixture(scope="module")
def linked_report(built_warehouse, tmp_path_factory):
    """The report of a copy of the demo warehouse whose contoso-docs has a Clarity project id
    (as dim_projects carries it when the setting is configured)."""
    folder = tmp_path_factory.mktemp("linked-report")
    db = folder / "clarity.duckdb"
    shutil.copy(built_warehouse.path, db)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "update marts.dim_projects set clarity_project_id = ? where project = ?",
            [CLARITY_ID, LINKED],
        )
    finally:
        con.close()
    out = folder / "clarity-report.html"
    return write_report(db, out, days=DAYS), out, db


def test_a_real_browser_finds_each_page_to_fix_linked_into_clarity(linked_report):
    result, out, db = linked_report
    rendered = render(
        result.path,
        parts=(f"section#{LINKED} div[data-section='pages'] + table",),
        links="a.clarity-link",
    )
    assert rendered.errors == []
    assert rendered.requests == [result.path.resolve().as_uri()], "a link was followed"
    ranked_on, pages = query(
        db,
        "select max(activity_date), count(*) filter (where frustration_rank_7d <= 5) "
        "from marts.fct_page_frustration_daily where project = ? and activity_date = ("
        "select max(activity_date) from marts.fct_page_frustration_daily where project = ?)",
        [LINKED, LINKED],
    )[0]
    urls = [
        row[0]
        for row in query(
            db,
            "select page_url from marts.fct_page_frustration_daily where project = ? "
            "and activity_date = ? order by frustration_rank_7d, page_url limit 5",
            [LINKED, ranked_on],
        )
    ]
    assert pages > 0
    assert len(rendered.links) == 2 * len(urls), "a recordings and a heatmap link per page"
    for link, (kind, path) in zip(
        rendered.links,
        [("recordings", "impressions"), ("heatmap", "heatmaps")] * len(urls),
        strict=True,
    ):
        assert link["text"] == kind and link["visible"]
        assert "noopener" in link["rel"].split() and link["target"] == "_blank"
        parts = urlsplit(link["href"])
        assert (parts.scheme, parts.netloc) == ("https", "clarity.microsoft.com")
        assert parts.path == f"/projects/view/{CLARITY_ID}/{path}"
        filters = parse_qs(parts.query, strict_parsing=True)
        assert filters["end"] == [ranked_on.isoformat()]
        assert filters["start"] == [(ranked_on - timedelta(days=6)).isoformat()]
    assert [parse_qs(urlsplit(a["href"]).query)["URL"][0] for a in rendered.links[::2]] == urls
    # the project without an id says why it has no link
    table = rendered.parts[f"section#{LINKED} div[data-section='pages'] + table"]
    assert table.visible and "recordings" in table.text
    assert "set clarity_project_id" in out.read_text(encoding="utf-8")


def test_the_markdown_pages_to_fix_link_into_clarity(linked_report, tmp_path):
    _, _, db = linked_report
    out = tmp_path / "clarity-report.md"
    write_report(db, out, days=DAYS, fmt="md")
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"\[(recordings|heatmap)\]\(<([^>]+)>\)", text)
    assert links and all(
        url.startswith(f"https://clarity.microsoft.com/projects/view/{CLARITY_ID}/")
        for _, url in links
    )
    assert "set clarity_project_id" in text  # the other projects


def test_the_highlights_link_each_page_to_fix_into_clarity(linked_report, capsys):
    _, _, db = linked_report
    print_highlights(db, LINKED)
    lines = capsys.readouterr().out.splitlines()
    recordings = [line.split(": ", 1)[1] for line in lines if "recordings: " in line]
    heatmaps = [line.split(":    ", 1)[1] for line in lines if "heatmap:    " in line]
    assert len(recordings) == len(heatmaps) == 5
    base = f"https://clarity.microsoft.com/projects/view/{CLARITY_ID}"
    assert all(url.startswith(f"{base}/impressions?date=Custom&start=") for url in recordings)
    assert all(url.startswith(f"{base}/heatmaps?date=Custom&start=") for url in heatmaps)
    print_highlights(db, "northwind-shop")  # no id: no link, and it says why
    out = capsys.readouterr().out
    assert "recordings: " not in out and "set clarity_project_id" in out


def _share(value: float) -> str:
    return f"{value * 100:.2f}%" if value < 0.01 else f"{value * 100:.1f}%"


def test_a_real_browser_shows_the_incidents_instead_of_the_daily_alerts(report):
    """One row per incident (the planted regression's page and its site, each open), with the
    peak observed against expected, not one row per alert day; the note says where the daily
    rows are."""
    result, text, db = report
    project = "contoso-docs"
    table = f'section#{project} div[data-section="health"] + table.incidents'
    rendered = render(result.path, parts=(table, f"{table} + p"))
    assert rendered.errors == []
    shown = rendered.parts[table]
    assert shown.visible
    header, *rows = shown.text.splitlines()
    assert header.split("\t") == [
        "what", "where", "opened", "last seen", "days", "peak", "status"
    ]  # fmt: skip
    incidents = query(
        db,
        "select scope, coalesce(page_url, 'the whole site'), metric, opened_on, last_seen_on, "
        "alert_days, peak_observed, peak_expected, peak_strength, status "
        "from marts.fct_incidents where project = ? and scope <> 'collection' "
        "order by status = 'open' desc, last_seen_on desc, scope, page_url nulls first",
        [project],
    )
    alert_rows = query(
        db,
        "select count(*) from marts.fct_alerts where project = ? and scope <> 'collection'",
        [project],
    )[0][0]
    assert incidents and len(rows) == len(incidents) < alert_rows  # episodes, not days
    for row, incident in zip(rows, incidents, strict=True):
        scope, where, metric, opened, last, days, observed, expected, z, status = incident
        assert observed > expected and z >= 5
        assert row.split("\t") == [
            metric.replace("_", " "),
            where,
            f"{opened:%d %b}",
            f"{last:%d %b}",
            str(days),
            f"{_share(observed)} vs {_share(expected)} (z {z:.1f})",
            status,
        ]
    assert {r.split("\t")[1] for r in rows} >= {"the whole site"}
    note = rendered.parts[f"{table} + p"]
    assert note.visible and "daily detail is in the mart fct_alerts" in note.text
    assert "No incident open or seen in the period." in text  # the projects without


def test_each_incident_of_a_page_links_to_its_recordings_in_clarity(linked_report):
    result, out, db = linked_report
    rendered = render(result.path, links="a.incident-link")
    assert rendered.errors == []
    opened, last, page = query(
        db,
        "select opened_on, last_seen_on, page_url from marts.fct_incidents "
        "where project = ? and scope = 'page'",
        [LINKED],
    )[0]
    (link,) = [a for a in rendered.links if a["text"] == "recordings"]
    (site,) = [a for a in rendered.links if a["text"] == "dashboard"]  # the site: no page
    assert site["href"] == f"https://clarity.microsoft.com/projects/view/{CLARITY_ID}/dashboard"
    parts = urlsplit(link["href"])
    assert parts.path == f"/projects/view/{CLARITY_ID}/impressions"
    filters = parse_qs(parts.query, strict_parsing=True)
    assert (filters["start"], filters["end"], filters["URL"]) == (
        [opened.isoformat()],
        [last.isoformat()],
        [page],
    )
    assert link["visible"] and "noopener" in link["rel"].split()


@pytest.fixture(scope="module")
def first_day(tmp_path_factory):
    """A first-day warehouse: one `clarity ingest` run of the default configuration against the
    offline service (its windows give three estimated dates), then the scheduled dbt build."""
    folder = tmp_path_factory.mktemp("first-day")
    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=12) as service:
        ingested = run_cli(service, folder, "ingest", "--now", collection_time(1).isoformat())
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    db = folder / "clarity.duckdb"
    code, _ = run_dbt(SCHEDULED_BUILD, db, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the first-day warehouse"
    return db


def test_a_first_day_summary_states_its_completeness(first_day, tmp_path, capsys):
    out = tmp_path / "clarity-report.html"
    result = write_report(first_day, out, days=DAYS)
    text = out.read_text(encoding="utf-8")
    assert "NaN" not in text and "nan%" not in text
    sources, first, last, sessions = query(
        first_day,
        "select list(distinct value_source), min(activity_date), max(activity_date), "
        "sum(sessions) from marts.fct_site_daily where project = ?",
        [BLOG],
    )[0]
    assert sources == ["solved_estimate"], "a first run's dates are all estimates"
    days = (last - first).days + 1
    rendered = render(result.path, parts=(f"section#{BLOG} ul.summary", f"section#{BLOG} .period"))
    assert rendered.errors == []
    period = rendered.parts[f"section#{BLOG} .period"]
    assert period.visible and period.text.startswith(f"{first:%d %b %Y} to {last:%d %b %Y}")
    summary = rendered.parts[f"section#{BLOG} ul.summary"]
    assert summary.visible and "NaN" not in summary.text
    lines = summary.text.splitlines()
    assert lines[0].startswith(
        f"{sessions:,} sessions over {days} of the last 7 days (all {days} estimated, up to ±"
    )
    assert any(line.startswith("No comparison with the week before: 0 date(s)") for line in lines)
    assert (
        f"No day of the last 7 tested for signal alerts: its {days} day(s) with a value are "
        "estimates, which alerts never test." in lines
    )
    assert not any("signal alert in the last 7 days" in line for line in lines)
    print_highlights(first_day, BLOG)
    said = capsys.readouterr().out
    assert f"{sessions:,} sessions over {days} of the last 7 days (all {days} estimated" in said
    assert "tested for signal alerts" in said and "NaN" not in said
    # the sections without data say what is missing and why, instead of an empty chart
    outline = _outline(text)
    assert (BLOG, "referrers") not in outline.marks
    assert "No referrer list in the period yet: the daily top-10 lists come only from a " in text


# the two dimension sets of the small warehouses below: the site and its pages
SMALL_SETS = ((), ("URL",))
GAP_RUNS, GAP_OUTAGE = (1, 10), (4, 4)  # daily runs 1..10; the runs of days 4..7 get 500s


@pytest.fixture(scope="module")
def gap(tmp_path_factory):
    """A warehouse with a gap: the blog collected daily at 00:10 UTC with two dimension sets,
    four days of outage in the middle (longer than the API's 3 days of memory, so some dates are
    lost for good, the ones next to them recovered or estimated)."""
    folder = tmp_path_factory.mktemp("gap")
    spec = next(spec for spec in default_projects() if spec.name == BLOG)
    with OfflineClarity(projects=[spec], seed=3, start=START, days=GAP_RUNS[1] + 2) as service:
        service.add_outage(BLOG, collection_time(GAP_OUTAGE[0]).date(), GAP_OUTAGE[1])
        config = dataclasses.replace(
            make_config(service, folder, projects=[BLOG]), dimension_sets=SMALL_SETS
        )
        totals = collect(service, config, GAP_RUNS[1])
    assert totals["errors"] > 0, "the outage failed no request"
    code, _ = run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the gap warehouse"
    missing = query(
        config.duckdb_path,
        "select count(*) from marts.fct_collection_daily where project = ? and is_missing",
        [BLOG],
    )[0][0]
    assert missing > 0, "the outage left no date without a value"
    return config.duckdb_path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A warehouse of an archive of 3-day windows: another collector's nightly bodies of two
    dimension sets over 6 nights, imported (the window solver values every date)."""
    folder = tmp_path_factory.mktemp("archive")
    spec = next(spec for spec in default_projects() if spec.name == BLOG)
    nights = 6
    with OfflineClarity(projects=[spec], seed=9, start=START, days=nights + 2) as service:
        config = dataclasses.replace(
            make_config(service, folder, projects=[BLOG]),
            dimension_sets=((), ("URL",), ("Device",)),
        )
        moments = collection_moments(nights, time(0, 10), UTC, jitter_minutes=50, seed=9)
        totals = collect_nightly(service, config, moments, folder / "nightly")
    assert totals["errors"] == 0 and totals["snapshots"] == 3 * nights
    code, _ = run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the archive warehouse"
    return config.duckdb_path


# what the page says, read in the browser: the whole text, each section's headline, and per
# chart the SVG's <text> elements and the labels of each of its axes (an axis with a domain
# line, not a grid)
READ_PAGE = """() => ({
  text: document.body.innerText,
  headlines: [...document.querySelectorAll('section h3')].map(h => ({
    id: h.id, text: h.innerText,
  })),
  charts: [...document.querySelectorAll('div.chart[data-section]')].map(div => ({
    id: div.closest('section').id + '-' + div.dataset.section,
    texts: [...div.querySelectorAll('svg text')].map(t => t.textContent),
    axes: [...div.querySelectorAll('g.role-axis')]
      .filter(g => g.querySelector('.role-axis-domain'))
      .map(g => [...g.querySelectorAll('.role-axis-label text')].map(t => t.textContent)),
    marks: div.querySelectorAll('.role-mark path, .role-mark text, .role-mark line').length,
    // texts drawn past the chart's edge (cut off): labels measured with a narrower font than
    // the browser draws them with
    overflow: [...div.querySelectorAll('svg text')].filter(t => {
      const box = div.querySelector('svg').getBoundingClientRect(), r = t.getBoundingClientRect();
      return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
    }).map(t => t.textContent),
  })),
})"""
# a headline's completeness: "26 of 28 days with a value", "0 of 7 days with a page value"
COMPLETENESS = re.compile(r" · \d+ of \d+ days with an? [a-z ]+")
WAREHOUSES = ("first_day", "gap", "archive", "built_warehouse")


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_a_real_browser_reads_an_honest_report_of_every_kind_of_warehouse(
    warehouse, request, tmp_path
):
    db = request.getfixturevalue(warehouse)
    db = getattr(db, "path", db)  # the demo's fixture is a BuiltWarehouse
    result = write_report(db, tmp_path / "clarity-report.html", days=DAYS)
    rendered = render(
        result.path, script=READ_PAGE, parts=tuple(f"div.chart >> nth={n}" for n in range(3))
    )
    (tmp_path / "report.png").write_bytes(rendered.screenshot)
    assert rendered.errors == []
    page = rendered.evaluated
    projects = [row[0] for row in query(db, "select project from marts.dim_projects")]
    # every section of every project has a headline that states its completeness
    headlines = {h["id"]: h["text"] for h in page["headlines"]}
    keys = [key for key, _, _ in SECTIONS] + ["effects"]  # "Did it work?": no chart of its own
    expected = {f"{project}-{key}" for project in projects for key in keys}
    assert set(headlines) == expected
    for id_, text in headlines.items():
        assert COMPLETENESS.search(text), f"{id_}: {text!r} does not say its completeness"
    # no NaN anywhere, in the page's text or the charts'
    texts = [page["text"], *(t for chart in page["charts"] for t in chart["texts"])]
    assert not [t for t in texts if re.search(r"\bnan\b|undefined", t, re.IGNORECASE)]
    assert page["charts"], "no chart drawn"
    for chart in page["charts"]:
        # no blank chart: marks drawn, every axis labelled, and no tick label twice on one axis
        assert chart["marks"] > 0, f"{chart['id']} has no marks"
        assert not chart["overflow"], f"{chart['id']} cuts off {chart['overflow']}"
        assert chart["axes"], f"{chart['id']} has no axis"
        for labels in chart["axes"]:
            assert labels, f"{chart['id']} has an axis without labels (a blank chart)"
            repeated = {label for label in labels if labels.count(label) > 1}
            assert not repeated, f"{chart['id']} repeats tick labels {sorted(repeated)}"
    # and in pixels: the first charts show more than a background
    for part in rendered.parts.values():
        assert part.visible and colours(part.screenshot) > 10 and ink(part.screenshot) > 0.02
    # a drawn section says how to read it
    drawn = {chart["id"] for chart in page["charts"]}
    assert page["text"].count("How to read this: ") == len(drawn)
