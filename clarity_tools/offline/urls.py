"""The canonical page URL rule: how the offline service keys its truth by page.

``canonical_url(raw)``:

1. scheme and host lower-cased; a default port (``:80`` for http, ``:443`` for https) removed,
   any other port kept (``http://localhost:3000/``); user info dropped;
2. query string and fragment removed entirely (``?utm_source=...``, ``?gclid=...``,
   ``?token=...``, ``#top``), and path parameters (``/cart;jsessionid=...``: from a ``;`` to
   the next ``/``);
3. a final path segment ``index.html`` (exact, lower-case) is removed, keeping its slash;
4. trailing slashes removed, except that an empty path or the root is ``/``
   (so the root is always ``https://host/``);
5. the path is otherwise kept byte for byte: its case and its percent-encoding are never decoded
   or re-cased (``/docs/Start%20Here``, ``/posts/caf%C3%A9-culture`` stay as they are).

Examples: ``https://SHOP.example.com/cart/?utm_source=x#top`` -> ``https://shop.example.com/cart``;
``https://docs.example.org/guides/index.html`` -> ``https://docs.example.org/guides``;
``https://blog.example.net`` -> ``https://blog.example.net/``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_PARAMETERS = re.compile(r";[^/]*")


def canonical_url(raw: str) -> str:
    """Return the canonical page URL of a raw Clarity URL (see the module docstring)."""
    parts = urlsplit(raw.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{canonical_path(parts.path)}"


def canonical_path(path: str) -> str:
    """Drop the path parameters of a URL path, fold ``index.html`` and trailing slashes; ``/`` for
    the root."""
    path = _PATH_PARAMETERS.sub("", path)
    if path.endswith("/index.html") or path == "index.html":
        path = path[: -len("index.html")]
    path = path.rstrip("/")
    return path if path else "/"
