"""Cross-origin requests from browsers (CORS): which web pages on other origins may call the API.

`CORS_ALLOW_ORIGINS` lists them, comma-separated: exact origins (`https://www.example.gov.cn`),
patterns with `*` for any port (`http://localhost:*`) or for any subdomain (`https://*.example.cn`),
or `*` for every origin. None are allowed unless configured (production's default); `creditgraph
demo` allows `http://localhost:*` and `http://127.0.0.1:*` for a front end under development.

Starlette's CORSMiddleware answers preflights (`OPTIONS` with `Access-Control-Request-Method`): 200
with `Access-Control-Allow-Origin` echoing an allowed origin, 400 without it for any other. The API
authenticates with the `Authorization` header, never with cookies, so credentials are never allowed:
a wildcard can never hand a browser's cookies to another site. Browsers may read the rate-limit and
caching headers of the answers (`Access-Control-Expose-Headers`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOW_METHODS = ("GET", "POST")
ALLOW_HEADERS = ("Authorization", "Content-Type", "Accept", "If-None-Match")
EXPOSE_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "ETag",
    "Content-Disposition",
)
PREFLIGHT_MAX_AGE = 600
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<host>(?:\*\.)?[A-Za-z0-9.\-\[\]:]+?)(?::(?P<port>\*|\d{1,5}))?")


def _pattern(origin: str) -> str:
    """The regular expression of an origin pattern; ValueError when it is not an origin."""
    match = _ORIGIN.fullmatch(origin)
    if match is None or "*" in origin.replace("*.", "", 1).replace(":*", ""):
        raise ValueError(f"CORS_ALLOW_ORIGINS: {origin!r} is not an origin (scheme://host[:port], * as port or *.)")
    host = match["host"]
    pattern = re.escape(match["scheme"]) + "://"
    if host.startswith("*."):
        pattern += r"(?:[A-Za-z0-9-]+\.)+" + re.escape(host[2:])
    else:
        pattern += re.escape(host)
    port = match["port"]
    if port == "*":
        pattern += r"(?::\d{1,5})?"
    elif port is not None:
        pattern += ":" + port
    return pattern


def cors_middleware(origins: Sequence[str]) -> Middleware:
    """The middleware for the configured origins (exact ones listed, patterns as one expression)."""
    exact: list[str] = []
    patterns: list[str] = []
    for origin in origins:
        origin = origin.strip().rstrip("/")
        if origin == "*":
            exact.append("*")
        elif "*" in origin:
            patterns.append(_pattern(origin))
        else:
            _pattern(origin)  # validate
            exact.append(origin)
    return Middleware(
        CORSMiddleware,
        allow_origins=exact,
        allow_origin_regex="|".join(f"(?:{p})" for p in patterns) or None,
        allow_methods=ALLOW_METHODS,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE,
    )


#: What `creditgraph demo` allows when CORS_ALLOW_ORIGINS is not set: a front end on this machine.
DEMO_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")
