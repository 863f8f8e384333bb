"""Links from a page to fix to its recordings and heatmap in the Clarity dashboard, built in one
place for the report, the highlights and the MCP server.

Microsoft does not document the dashboard's addresses: the paths (`/projects/view/<id>/
impressions` for recordings, `/heatmaps`) are the ones public tools link to, and the query
parameters are unverified observations of the dashboard. If Clarity changes them, this module is
the one place to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlencode

from ingestion.api.secrets import mask_secret_params

CLARITY_HOME = "https://clarity.microsoft.com/"
PROJECTS_URL = "https://clarity.microsoft.com/projects/view/"
# what the outputs say where there is no link, and why
NO_ID = "no link into Clarity: set clarity_project_id for this project"


@dataclass(frozen=True)
class ClarityLinks:
    """Where to look in Clarity: `recordings` and `heatmap` (None without a project id; both
    the project's dashboard when there is no page), and `note` saying what the links show."""

    recordings: str | None
    heatmap: str | None
    note: str

    def as_dict(self) -> dict[str, str | None]:
        return {"recordings": self.recordings, "heatmap": self.heatmap, "note": self.note}


def clarity_links(
    clarity_project_id: str | None,
    page_url: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ClarityLinks:
    """The recordings and heatmap of `page_url` from `start` to `end` (the project's days, both
    included) in the Clarity project `clarity_project_id`.

    `page_url` is already masked (the marts' page URLs are: a secret-looking parameter's value
    never reaches them) and is masked again here, so no link can carry one; it is
    percent-encoded whole into the `URL` filter. Without a
    page, both links are the project's dashboard; without an id, there are none."""
    if not clarity_project_id:
        return ClarityLinks(None, None, NO_ID)
    project = f"{PROJECTS_URL}{quote(clarity_project_id, safe='')}"
    if not page_url:
        dashboard = f"{project}/dashboard"
        return ClarityLinks(dashboard, dashboard, "the project's dashboard in Clarity (no page)")
    query = _period(start, end)
    # the page filter: `URL=<page>` as public tools write it (unverified; Clarity matches the
    # URL it recorded, which may differ from the normalised page URL of the marts)
    query["URL"] = mask_secret_params(page_url)
    encoded = urlencode(query, quote_via=quote, safe="")
    note = "recordings and heatmap of this page in Clarity"
    if start and end:
        note += f", {start:%d %b %Y} to {end:%d %b %Y}"
    return ClarityLinks(f"{project}/impressions?{encoded}", f"{project}/heatmaps?{encoded}", note)


def page_links(
    clarity_project_id: str | None, page_url: str | None, ranked_on: date, days: int = 7
) -> ClarityLinks:
    """The links of a page to fix ranked on `ranked_on` over the `days` ending then."""
    return clarity_links(
        clarity_project_id, page_url, ranked_on - timedelta(days=days - 1), ranked_on
    )


def _period(start: date | None, end: date | None) -> dict[str, str]:
    """The dashboard's date filter for the days `start` to `end`. UNVERIFIED: the form
    `date=Custom&start=YYYY-MM-DD&end=YYYY-MM-DD` is an observation of the dashboard's
    addresses, not a documented interface; without a period, the dashboard's own default."""
    if start is None or end is None:
        return {}
    return {"date": "Custom", "start": start.isoformat(), "end": end.isoformat()}
