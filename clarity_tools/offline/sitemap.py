"""Pages of a simulated project and the raw URL variants under which Clarity reports them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlencode

import numpy as np

from clarity_tools.offline.catalog import (
    ACQUISITIONS,
    BLOG_WORDS,
    CLICK_ID_PARAMS,
    DOCS_WORDS,
    FRAGMENTS,
    SHOP_WORDS,
    TRACK_NONE,
    TRACK_UTM,
)
from clarity_tools.offline.projects import ProjectSpec
from clarity_tools.offline.urls import canonical_url

# The first pages of each kind of site, with their relative popularity.
HEAD_PAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "shop": (
        ("/", 10.0),
        ("/products", 3.0),
        ("/search", 2.5),
        ("/cart", 2.2),
        ("/category/sale", 2.0),
        ("/checkout", 1.2),
        ("/account", 0.8),
        ("/help/shipping", 0.6),
        ("/help/returns", 0.5),
        ("/about", 0.3),
    ),
    "docs": (
        ("/", 6.0),
        ("/docs/getting-started", 4.0),
        ("/docs/installation", 3.0),
        ("/docs/Start%20Here", 2.0),
        ("/docs/api/authentication", 2.0),
        ("/changelog", 1.0),
        ("/faq", 0.8),
        ("/account/confirm", 0.15),
    ),
    "blog": (
        ("/", 5.0),
        ("/posts/caf%C3%A9-culture", 1.2),
        ("/about", 0.8),
        ("/archive", 0.7),
    ),
}
BOT_ONLY_PATHS: tuple[str, ...] = ("/wp-login.php", "/.env")
BOT_ONLY_URLS: tuple[str, ...] = ("http://localhost:3000/",)
NOMINAL_SHARE = 0.7  # share of (untagged) page visits reported under the page's nominal URL


@dataclass
class SiteMap:
    """Pages (canonical URL, title, popularity) and every raw URL variant of them."""

    host: str
    canonical: list[str]
    titles: list[str]
    weights: np.ndarray
    bot_only: np.ndarray
    landing: np.ndarray
    nominal: list[str]
    raw_urls: list[str]
    raw_page: list[int]
    plain_start: np.ndarray
    plain_count: np.ndarray
    track_start: np.ndarray
    track_count: np.ndarray
    track_ids: np.ndarray

    @property
    def n_pages(self) -> int:
        return len(self.canonical)

    def page_index(self, path: str) -> int:
        """Index of the page whose canonical path is ``path``."""
        return self.canonical.index(canonical_url(f"https://{self.host}{path}"))

    def add_raw_url(self, url: str, page: int) -> int:
        """Register one more raw URL of ``page`` and return its id."""
        self.raw_urls.append(url)
        self.raw_page.append(page)
        return len(self.raw_urls) - 1


def build_sitemap(spec: ProjectSpec, rng: np.random.Generator) -> SiteMap:
    """Build the pages of ``spec`` and their raw URL variants, deterministically from ``rng``."""
    pages = _page_paths(spec, rng)
    host = spec.host.lower()
    nominal = [_nominal(host, path, spec.trailing_slash) for path, _ in pages]
    nominal += [f"https://{host}{path}" for path in BOT_ONLY_PATHS] + list(BOT_ONLY_URLS)
    n_regular = len(pages)
    n_total = len(nominal)
    weights = np.zeros(n_total)
    weights[:n_regular] = [weight for _, weight in pages]
    bot_only = np.arange(n_total) >= n_regular
    landing = np.zeros(n_total, dtype=bool)
    landing[np.argsort(-weights[:n_regular], kind="stable")[: spec.landing_pages]] = True
    site = SiteMap(
        host=host,
        canonical=[canonical_url(url) for url in nominal],
        titles=[_title(path, spec.site_title) for path, _ in pages] + [""] * (n_total - n_regular),
        weights=weights,
        bot_only=bot_only,
        landing=landing,
        nominal=nominal,
        raw_urls=[],
        raw_page=[],
        plain_start=np.zeros(n_total, dtype=np.int64),
        plain_count=np.zeros(n_total, dtype=np.int64),
        track_start=np.zeros((n_total, len(ACQUISITIONS)), dtype=np.int64),
        track_count=np.zeros((n_total, len(ACQUISITIONS)), dtype=np.int64),
        track_ids=np.zeros(0, dtype=np.int64),
    )
    _add_plain_variants(site, spec, rng)
    _add_tracking_variants(site, spec, rng)
    return site


def _page_paths(spec: ProjectSpec, rng: np.random.Generator) -> list[tuple[str, float]]:
    heads = list(HEAD_PAGES[spec.site_kind])
    generated = _generated_paths(spec.site_kind, rng)
    tail = [(path, 1.6 / (rank + 2) ** 0.9) for rank, path in enumerate(generated)]
    pages = (heads + tail)[: spec.n_pages]
    paths = {path for path, _ in pages}
    required = [r.page_path for r in spec.regressions]
    if spec.token_page:
        required.append(spec.token_page)
    missing = [path for path in required if path not in paths]
    if missing:
        raise ValueError(f"{spec.name}: pages {missing} are not among its {spec.n_pages} pages")
    return pages


def _generated_paths(kind: str, rng: np.random.Generator) -> list[str]:
    words = {"shop": SHOP_WORDS, "docs": DOCS_WORDS, "blog": BLOG_WORDS}[kind]
    pattern = {"shop": "/products/{}-{}", "docs": "/docs/{}/{}", "blog": "/posts/{}-{}"}[kind]
    paths = [pattern.format(a, b) for a in words[0] for b in words[1]]
    order = rng.permutation(len(paths))
    shuffled = [paths[i] for i in order]
    # Enough pages for any n_pages: numbered copies after the word combinations run out.
    return shuffled + [f"{path}-{k}" for k in range(2, 6) for path in shuffled]


def _nominal(host: str, path: str, trailing_slash: bool) -> str:
    suffix = "/" if trailing_slash and path != "/" else ""
    return f"https://{host}{path}{suffix}"


def _title(path: str, site_title: str) -> str:
    if path == "/":
        return site_title
    segments = [unquote(segment).replace("-", " ") for segment in path.strip("/").split("/")]
    return " - ".join(segment.capitalize() for segment in reversed(segments)) + f" | {site_title}"


def _plain_candidates(host: str, path: str, nominal: str, trailing_slash: bool) -> list[str]:
    if path == "/":
        return [
            f"https://{host}",
            f"https://{host}/index.html",
            f"https://{host}/#top",
            f"https://{host.upper()}/",
            f"https://{host}/?ref=nav",
            f"https://{host}/#overview",
            f"https://{host}/?lang=en",
        ]
    toggled = f"https://{host}{path}" if trailing_slash else f"https://{host}{path}/"
    nominal_path = nominal[len(f"https://{host}") :]
    return [
        toggled,
        f"https://{host}{path}/index.html",
        nominal + FRAGMENTS[0],
        nominal + FRAGMENTS[1],
        f"https://{host.upper()}{nominal_path}",
        nominal + "?ref=nav",
        nominal + "?lang=en",
        nominal + FRAGMENTS[3],
    ]


def _add_plain_variants(site: SiteMap, spec: ProjectSpec, rng: np.random.Generator) -> None:
    host = spec.host.lower()
    for page, nominal in enumerate(site.nominal):
        site.plain_start[page] = len(site.raw_urls)
        site.add_raw_url(nominal, page)
        if site.bot_only[page]:
            site.plain_count[page] = 1
            continue
        path = site.canonical[page][len(f"https://{host}") :] or "/"
        candidates = _plain_candidates(host, path, nominal, spec.trailing_slash)
        extra = max(0, spec.url_variety - len(candidates))
        candidates += [f"{nominal}?ref=nav-{k}" for k in range(extra)]
        chosen = [candidates[i] for i in rng.permutation(len(candidates))[: spec.url_variety]]
        for url in chosen:
            site.add_raw_url(url, page)
        site.plain_count[page] = 1 + len(chosen)


def _add_tracking_variants(site: SiteMap, spec: ProjectSpec, rng: np.random.Generator) -> None:
    ids: list[int] = []
    pool = max(1, spec.url_variety // 3)
    for page in np.flatnonzero(site.landing):
        for a, acquisition in enumerate(ACQUISITIONS):
            if acquisition.tracking == TRACK_NONE:
                continue
            urls = _tracked_urls(site.nominal[page], acquisition, pool, rng)
            site.track_start[page, a] = len(ids)
            site.track_count[page, a] = len(urls)
            ids += [site.add_raw_url(url, int(page)) for url in urls]
    site.track_ids = np.asarray(ids, dtype=np.int64)


def _tracked_urls(nominal: str, acquisition, pool: int, rng: np.random.Generator) -> list[str]:
    if acquisition.tracking == TRACK_UTM:
        params = {"utm_source": acquisition.source}
        if acquisition.channel != "AITools":
            params["utm_medium"] = acquisition.medium
            if acquisition.campaign:
                params["utm_campaign"] = acquisition.campaign
        return [f"{nominal}?{urlencode(params)}"]
    name = CLICK_ID_PARAMS[acquisition.tracking]
    return [f"{nominal}?{name}={random_token(rng, 12)}" for _ in range(pool)]


def random_token(rng: np.random.Generator, n_bytes: int) -> str:
    """A random hex string drawn from ``rng`` (click ids, secret-looking tokens)."""
    return rng.integers(0, 256, size=n_bytes, dtype=np.uint8).tobytes().hex()
