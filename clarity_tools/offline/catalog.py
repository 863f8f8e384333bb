"""Fixed vocabularies of the offline Clarity service: signals, dimensions, devices, channels.

Values are the spellings seen on the wire; the simulation draws from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

SIGNALS: tuple[str, ...] = (
    "DeadClickCount",
    "ExcessiveScroll",
    "RageClickCount",
    "QuickbackClick",
    "ScriptErrorCount",
    "ErrorClickCount",
)

# Blocks of a response, in wire order: the first nine also come with dimensions.
DIMENSIONED_BLOCKS: tuple[str, ...] = (*SIGNALS, "ScrollDepth", "Traffic", "EngagementTime")
TOP_LIST_BLOCKS: tuple[str, ...] = (
    "Browser",
    "Device",
    "OS",
    "Country",
    "PageTitle",
    "ReferrerUrl",
    "PopularPages",
)
ALL_BLOCKS: tuple[str, ...] = DIMENSIONED_BLOCKS + TOP_LIST_BLOCKS

# Dimension names the API accepts (anything else is silently dropped) and their row keys.
VALID_DIMENSIONS: tuple[str, ...] = (
    "Browser",
    "Device",
    "Country",
    "OS",
    "Source",
    "Medium",
    "Campaign",
    "Channel",
    "URL",
)
SEGMENT_DIMENSIONS: tuple[str, ...] = tuple(d for d in VALID_DIMENSIONS if d != "URL")
ROW_KEYS: dict[str, str] = {d: ("Url" if d == "URL" else d) for d in VALID_DIMENSIONS}

# Per-visit base probability of each signal, and the mean extra events once a signal fired.
BASE_SIGNAL_RATES: tuple[float, ...] = (0.06, 0.02, 0.015, 0.045, 0.035, 0.02)
EXTRA_EVENTS: tuple[float, ...] = (0.8, 0.3, 2.0, 0.2, 1.5, 0.4)

DEVICES: tuple[str, ...] = ("PC", "Mobile", "Tablet", "Email", "Other")
BROWSERS: tuple[str, ...] = (
    "Chrome",
    "ChromeMobile",
    "MobileSafari",
    "Edge",
    "EdgeMobile",
    "Firefox",
    "SamsungInternet",
    "Opera",
    "Safari",
    "FacebookApp",
    "InstagramApp",
    "GoogleApp",
    "Other",
)
OPERATING_SYSTEMS: tuple[str, ...] = ("Windows", "Android", "IOS", "MacOSX", "Linux", "ChromeOS")

# (device, browser, os, weight within the device): browsers and OS consistent with the device.
DEVICE_COMBOS: tuple[tuple[str, str, str, float], ...] = (
    ("PC", "Chrome", "Windows", 0.38),
    ("PC", "Edge", "Windows", 0.22),
    ("PC", "Firefox", "Windows", 0.06),
    ("PC", "Opera", "Windows", 0.03),
    ("PC", "Other", "Windows", 0.01),
    ("PC", "Chrome", "MacOSX", 0.10),
    ("PC", "Safari", "MacOSX", 0.09),
    ("PC", "Firefox", "Linux", 0.03),
    ("PC", "Chrome", "Linux", 0.04),
    ("PC", "Chrome", "ChromeOS", 0.04),
    ("Mobile", "ChromeMobile", "Android", 0.34),
    ("Mobile", "SamsungInternet", "Android", 0.08),
    ("Mobile", "EdgeMobile", "Android", 0.02),
    ("Mobile", "FacebookApp", "Android", 0.03),
    ("Mobile", "MobileSafari", "IOS", 0.33),
    ("Mobile", "ChromeMobile", "IOS", 0.03),
    ("Mobile", "FacebookApp", "IOS", 0.04),
    ("Mobile", "InstagramApp", "IOS", 0.07),
    ("Mobile", "GoogleApp", "IOS", 0.06),
    ("Tablet", "MobileSafari", "IOS", 0.60),
    ("Tablet", "ChromeMobile", "Android", 0.30),
    ("Tablet", "Safari", "MacOSX", 0.10),
    ("Email", "Other", "Windows", 0.50),
    ("Email", "Other", "IOS", 0.30),
    ("Email", "Other", "MacOSX", 0.20),
    ("Other", "Other", "Linux", 0.50),
    ("Other", "Other", "Android", 0.50),
)
# Bots look like desktop or unknown clients.
BOT_COMBOS: tuple[tuple[str, str, str, float], ...] = (
    ("PC", "Chrome", "Linux", 0.5),
    ("PC", "Chrome", "Windows", 0.2),
    ("Other", "Other", "Linux", 0.3),
)

COUNTRIES: tuple[str, ...] = (
    "United States",
    "United Kingdom",
    "Germany",
    "France",
    "India",
    "Canada",
    "Australia",
    "Spain",
    "Netherlands",
    "Brazil",
    "Japan",
    "Italy",
)

BOT_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("United States", 6.0),
    ("United Kingdom", 1.0),
    ("Germany", 1.0),
    ("France", 1.0),
    ("India", 0.5),
    ("Canada", 0.5),
    ("Australia", 0.3),
    ("Netherlands", 1.0),
    ("Japan", 0.3),
)

CHANNELS: tuple[str, ...] = (
    "OrganicSearch",
    "Direct",
    "Email",
    "Display",
    "Social",
    "PaidSearch",
    "Referral",
    "Affiliate",
    "Video",
    "AITools",
    "Other",
)

# How a landing URL is tagged: nothing, utm parameters, or a click id.
TRACK_NONE, TRACK_UTM, TRACK_GCLID, TRACK_FBCLID, TRACK_MSCLKID = range(5)
CLICK_ID_PARAMS: dict[int, str] = {
    TRACK_GCLID: "gclid",
    TRACK_FBCLID: "fbclid",
    TRACK_MSCLKID: "msclkid",
}


@dataclass(frozen=True)
class Acquisition:
    """One way a session arrives: channel, its source/medium/campaign, referrer and URL tagging."""

    channel: str
    source: str | None
    medium: str | None
    campaign: str | None
    referrer: str | None
    weight: float
    tracking: int = TRACK_NONE


# Weights are relative within a channel. A missing source/medium/campaign is None (JSON null).
ACQUISITIONS: tuple[Acquisition, ...] = (
    Acquisition("OrganicSearch", "google", "organic", None, "https://www.google.com/", 0.78),
    Acquisition("OrganicSearch", "bing", "organic", None, "https://www.bing.com/", 0.15),
    Acquisition("OrganicSearch", "duckduckgo", "organic", None, "https://duckduckgo.com/", 0.07),
    Acquisition("Direct", None, None, None, None, 1.0),
    Acquisition("Email", "newsletter", "email", "monthly-digest", None, 0.55, TRACK_UTM),
    Acquisition("Email", "newsletter", "email", "product-launch", None, 0.25, TRACK_UTM),
    Acquisition("Email", "gmail", "email", None, "https://mail.google.com/", 0.20),
    Acquisition(
        "Display",
        "adnetwork",
        "display",
        "autumn-banner",
        "https://ads.example-network.com/",
        1.0,
        TRACK_UTM,
    ),
    Acquisition("Social", "linkedin", "social", None, "https://www.linkedin.com/", 0.40),
    Acquisition(
        "Social", "facebook", "social", None, "https://www.facebook.com/", 0.25, TRACK_FBCLID
    ),
    Acquisition("Social", "twitter", "social", None, "https://t.co/", 0.20),
    Acquisition(
        "Social",
        "linkedin",
        "social",
        "community-post",
        "https://www.linkedin.com/",
        0.15,
        TRACK_UTM,
    ),
    Acquisition(
        "PaidSearch", "google", "cpc", "brand", "https://www.google.com/", 0.50, TRACK_GCLID
    ),
    Acquisition(
        "PaidSearch", "google", "cpc", "generic", "https://www.google.com/", 0.30, TRACK_GCLID
    ),
    Acquisition("PaidSearch", "bing", "cpc", "brand", "https://www.bing.com/", 0.20, TRACK_MSCLKID),
    Acquisition("Referral", "github.com", "referral", None, "https://github.com/", 0.45),
    Acquisition(
        "Referral", "news.ycombinator.com", "referral", None, "https://news.ycombinator.com/", 0.30
    ),
    Acquisition(
        "Referral", "stackoverflow.com", "referral", None, "https://stackoverflow.com/", 0.25
    ),
    Acquisition(
        "Affiliate",
        "partner-deals",
        "affiliate",
        "partner-q4",
        "https://deals.partner.example/",
        1.0,
        TRACK_UTM,
    ),
    Acquisition("Video", "youtube", "video", None, "https://www.youtube.com/", 1.0),
    Acquisition(
        "AITools", "chatgpt.com", "referral", None, "https://chatgpt.com/", 0.70, TRACK_UTM
    ),
    Acquisition(
        "AITools", "perplexity", "referral", None, "https://www.perplexity.ai/", 0.30, TRACK_UTM
    ),
    Acquisition("Other", "other", None, None, "https://statics.teams.cdn.office.net/", 1.0),
)

# Fragments used by raw URL variants.
FRAGMENTS: tuple[str, ...] = ("#top", "#overview", "#details", "#faq", "#section-2")

SHOP_WORDS: tuple[tuple[str, ...], tuple[str, ...]] = (
    (
        "blue",
        "red",
        "classic",
        "organic",
        "compact",
        "deluxe",
        "travel",
        "vintage",
        "smart",
        "linen",
        "wooden",
        "steel",
        "cozy",
        "ultra",
        "mini",
        "solar",
        "wireless",
        "leather",
        "bamboo",
        "silver",
    ),
    (
        "widget",
        "kettle",
        "backpack",
        "lamp",
        "chair",
        "sneaker",
        "jacket",
        "mug",
        "blender",
        "speaker",
        "watch",
        "scarf",
        "desk",
        "tent",
        "bottle",
        "wallet",
        "pillow",
        "headphones",
        "umbrella",
        "candle",
    ),
)
DOCS_WORDS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("api", "guides", "reference", "tutorials", "concepts"),
    (
        "projects",
        "sessions",
        "exports",
        "webhooks",
        "tokens",
        "users",
        "billing",
        "limits",
        "errors",
        "pagination",
        "filters",
        "events",
        "dashboards",
        "alerts",
        "retention",
    ),
)
BLOG_WORDS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("notes-on", "why", "how-i", "lessons-from", "thoughts-on"),
    ("testing", "caching", "sql", "gardening", "travel", "coffee", "typography", "logging"),
)
