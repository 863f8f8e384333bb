"""A real browser for tests of what people look at: Debian's Chromium (package `chromium`),
driven by Playwright (its own browser download does not work here; `.ci/run` installs the Debian
package when it is missing). Without Chromium a test says how to install it, and fails in CI."""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "Chromium is not installed: apt-get install chromium (.ci/run does it)"


def chromium_path() -> str:
    """The Chromium executable, or a skip (a failure in CI) saying how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must check the report in a browser: {INSTALL_HINT}")
    pytest.skip(INSTALL_HINT)


@dataclass
class Part:
    """One element of the rendered page: whether it shows, its size, its text and its pixels."""

    visible: bool
    width: float
    height: float
    text: str
    screenshot: bytes


@dataclass
class Rendered:
    screenshot: bytes
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    parts: dict[str, Part] = field(default_factory=dict)  # the elements asked for, by selector
    # the links the selector `links` names, as the browser resolved them: text, href, rel, target
    links: list[dict[str, str]] = field(default_factory=list)
    evaluated: object = None  # what the `script` asked for answered, as JSON values

    def colours(self) -> int:
        """How many distinct colours the screenshot has (a blank page has one)."""
        return colours(self.screenshot)

    def ink(self) -> float:
        """The share of pixels that are not the background (white)."""
        return ink(self.screenshot)


def colours(png: bytes) -> int:
    """How many distinct colours the image has (a blank one has one)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 20) or [])


def ink(png: bytes) -> float:
    """The share of the image's pixels that are not the background (white)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return 1 - histogram[255] / sum(histogram)


def render(
    path: Path,
    width: int = 1200,
    height: int = 1600,
    parts: tuple[str, ...] = (),
    links: str | None = None,
    script: str | None = None,
) -> Rendered:
    """Open a local file in headless Chromium; its screenshot, errors and requests, each of
    the elements the CSS selectors `parts` name (the first match) as the browser shows it, and
    every `<a>` the CSS selector `links` names (its visible text, resolved href, rel, target),
    and what the JavaScript function `script` returns for the loaded page."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.resolve().as_uri(), wait_until="load")
            shot = page.screenshot(full_page=True)
            found = {selector: _part(page.locator(selector).first) for selector in parts}
            anchors = (
                page.eval_on_selector_all(
                    links,
                    "els => els.map(a => ({text: a.innerText, href: a.href, "
                    "rel: a.rel, target: a.target, visible: a.offsetParent !== null}))",
                )
                if links
                else []
            )
            evaluated = page.evaluate(script) if script else None
        finally:
            browser.close()
    return Rendered(shot, errors, requests, found, anchors, evaluated)


def _part(locator) -> Part:
    box = locator.bounding_box() or {"width": 0.0, "height": 0.0}
    visible = locator.is_visible()
    return Part(
        visible=visible,
        width=box["width"],
        height=box["height"],
        text=locator.inner_text(),
        screenshot=locator.screenshot() if visible else b"",
    )
