"""Specifications of simulated Clarity projects: size, audience, URL variety, regressions."""

from __future__ import annotations

from dataclasses import dataclass

from clarity_tools.offline.catalog import CHANNELS, COUNTRIES, DEVICES, SIGNALS

Weights = tuple[tuple[str, float], ...]

DEFAULT_DEVICES: Weights = (
    ("PC", 0.55),
    ("Mobile", 0.38),
    ("Tablet", 0.05),
    ("Email", 0.01),
    ("Other", 0.01),
)
DEFAULT_COUNTRIES: Weights = (
    ("United States", 0.34),
    ("United Kingdom", 0.10),
    ("Germany", 0.09),
    ("France", 0.06),
    ("India", 0.09),
    ("Canada", 0.05),
    ("Australia", 0.04),
    ("Spain", 0.04),
    ("Netherlands", 0.04),
    ("Brazil", 0.05),
    ("Japan", 0.04),
    ("Italy", 0.06),
)
DEFAULT_CHANNELS: Weights = (
    ("OrganicSearch", 0.38),
    ("Direct", 0.26),
    ("Email", 0.05),
    ("Display", 0.03),
    ("Social", 0.08),
    ("PaidSearch", 0.07),
    ("Referral", 0.06),
    ("Affiliate", 0.01),
    ("Video", 0.02),
    ("AITools", 0.03),
    ("Other", 0.01),
)


@dataclass(frozen=True)
class PlantedRegression:
    """A page whose signal rate (per page visit) jumps on ``start + offset_days`` and, when
    ``days`` is set, falls back to ``rate_before`` that many days later (a fix); several on one
    page and signal are separate episodes."""

    page_path: str
    signal: str = "RageClickCount"
    offset_days: int = 28
    rate_before: float = 0.02
    rate_after: float = 0.25
    days: int | None = None


@dataclass(frozen=True)
class ProjectSpec:
    """One simulated Clarity project.

    ``daily_sessions`` is the mean number of non-bot sessions on a day of weekly factor 1;
    ``bot_share`` is bot sessions per non-bot session; ``url_variety`` is how many raw URL
    variants each page has beside its nominal URL (tracking-tagged landing URLs come on top);
    ``weekly`` holds Monday..Sunday multipliers; ``rate_spread`` is the log-normal sigma of the
    per-page and per-device signal-rate factors (0 = every page and device alike).
    """

    name: str
    host: str
    daily_sessions: float
    n_pages: int
    bot_share: float = 0.05
    url_variety: int = 4
    weekly: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8)
    site_kind: str = "shop"
    title: str = ""
    trailing_slash: bool = False
    returning_share: float = 0.35
    device_weights: Weights = DEFAULT_DEVICES
    country_weights: Weights = DEFAULT_COUNTRIES
    channel_weights: Weights = DEFAULT_CHANNELS
    frustration: float = 1.0
    rate_spread: float = 0.5
    regressions: tuple[PlantedRegression, ...] = ()
    token_page: str | None = None
    unattributed_share: float = 0.03
    landing_pages: int = 8

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError(f"{self.name}: weekly needs 7 factors (Monday..Sunday)")
        if self.n_pages < 1 or self.daily_sessions < 0:
            raise ValueError(f"{self.name}: n_pages must be >= 1 and daily_sessions >= 0")
        if self.site_kind not in ("shop", "docs", "blog"):
            raise ValueError(f"{self.name}: site_kind must be shop, docs or blog")
        _check_names(self.name, "device", self.device_weights, DEVICES)
        _check_names(self.name, "country", self.country_weights, COUNTRIES)
        _check_names(self.name, "channel", self.channel_weights, CHANNELS)
        for regression in self.regressions:
            if regression.signal not in SIGNALS:
                raise ValueError(f"{self.name}: unknown signal {regression.signal!r}")

    @property
    def site_title(self) -> str:
        """The site name used in page titles."""
        return self.title or self.name.replace("-", " ").title()


def _check_names(project: str, what: str, weights: Weights, known: tuple[str, ...]) -> None:
    unknown = [name for name, _ in weights if name not in known]
    if unknown:
        raise ValueError(f"{project}: unknown {what} names {unknown}; use one of {known}")


def default_projects() -> list[ProjectSpec]:
    """Three projects of different sizes: a shop, a docs site (planted regression), a blog."""
    return [
        ProjectSpec(
            name="northwind-shop",
            host="shop.northwind.example",
            daily_sessions=5000,
            n_pages=40,
            bot_share=0.04,
            url_variety=5,
            weekly=(0.95, 0.95, 1.0, 1.0, 1.05, 1.3, 1.25),
            site_kind="shop",
            title="Northwind Shop",
            device_weights=(
                ("PC", 0.36),
                ("Mobile", 0.56),
                ("Tablet", 0.06),
                ("Email", 0.01),
                ("Other", 0.01),
            ),
            channel_weights=(
                ("OrganicSearch", 0.30),
                ("Direct", 0.22),
                ("Email", 0.08),
                ("Display", 0.05),
                ("Social", 0.12),
                ("PaidSearch", 0.12),
                ("Referral", 0.03),
                ("Affiliate", 0.03),
                ("Video", 0.02),
                ("AITools", 0.02),
                ("Other", 0.01),
            ),
            rate_spread=0.4,
        ),
        ProjectSpec(
            name="contoso-docs",
            host="docs.contoso.example",
            daily_sessions=1500,
            n_pages=60,
            bot_share=0.06,
            url_variety=4,
            weekly=(1.1, 1.15, 1.15, 1.1, 1.0, 0.45, 0.4),
            site_kind="docs",
            title="Contoso Docs",
            trailing_slash=True,
            device_weights=(
                ("PC", 0.82),
                ("Mobile", 0.14),
                ("Tablet", 0.02),
                ("Email", 0.01),
                ("Other", 0.01),
            ),
            country_weights=(
                ("United States", 0.28),
                ("United Kingdom", 0.08),
                ("Germany", 0.12),
                ("France", 0.05),
                ("India", 0.16),
                ("Canada", 0.04),
                ("Australia", 0.03),
                ("Spain", 0.03),
                ("Netherlands", 0.05),
                ("Brazil", 0.06),
                ("Japan", 0.07),
                ("Italy", 0.03),
            ),
            channel_weights=(
                ("OrganicSearch", 0.50),
                ("Direct", 0.25),
                ("Email", 0.02),
                ("Social", 0.04),
                ("PaidSearch", 0.01),
                ("Referral", 0.10),
                ("Video", 0.02),
                ("AITools", 0.05),
                ("Other", 0.01),
            ),
            frustration=1.2,
            rate_spread=0.7,
            regressions=(PlantedRegression(page_path="/docs/api/authentication"),),
            token_page="/account/confirm",
        ),
        ProjectSpec(
            name="fabrikam-blog",
            host="blog.fabrikam.example",
            daily_sessions=150,
            n_pages=15,
            bot_share=0.2,
            url_variety=3,
            weekly=(1.0, 1.0, 1.0, 1.0, 0.9, 0.75, 0.8),
            site_kind="blog",
            title="Fabrikam Blog",
            returning_share=0.45,
            channel_weights=(
                ("OrganicSearch", 0.35),
                ("Direct", 0.25),
                ("Email", 0.10),
                ("Social", 0.18),
                ("Referral", 0.08),
                ("AITools", 0.03),
                ("Other", 0.01),
            ),
            frustration=0.8,
            rate_spread=0.9,
            landing_pages=5,
        ),
    ]


def large_project(
    name: str = "megastore", daily_sessions: float = 8000, n_pages: int = 300
) -> ProjectSpec:
    """A project with so many raw URLs that a one-day URL+Device response exceeds 1,000 rows."""
    return ProjectSpec(
        name=name,
        host="www.megastore.example",
        daily_sessions=daily_sessions,
        n_pages=n_pages,
        bot_share=0.05,
        url_variety=12,
        site_kind="shop",
        title="Mega Store",
        landing_pages=30,
    )
