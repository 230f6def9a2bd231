"""Templates, static assets and the headers of the website's answers.

- Templates are Jinja2 with autoescaping on: every value from the API is text, escaped on output;
  the one piece of markup the API sends (the `<em>` marks of search highlights) is rebuilt from text
  by `marks`, never passed through.
- Static assets (`static/`) are package data, served from `/static/<name>`; pages link them as
  `/static/<name>?v=<digest>`, and an answer to that versioned URL may be kept for a year.
- Pages carry a Content-Security-Policy that lets them load, run and connect to nothing but this
  origin (no inline script or style; the page's data is a JSON data block, which is never run),
  and the caching of the API's public answers: `Cache-Control: public, max-age=<PUBLIC_CACHE_MAX_AGE_SECONDS>`
  and a weak ETag (304 on `If-None-Match`). Error pages are `no-store`.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.http.caching import etag_matches

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
#: The files served from /static/ (nothing else in the folder is), with their media types.
ASSETS: Final = {
    "site.css": "text/css; charset=utf-8",
    "gql.js": "text/javascript; charset=utf-8",
    "search.js": "text/javascript; charset=utf-8",
    "feed.js": "text/javascript; charset=utf-8",
    "subject.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
YEAR: Final = 365 * 24 * 3600
_MARK = re.compile(r"(</?em>)")


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


class Assets:
    """The static files, read once, with the digest that versions their URLs."""

    def __init__(self) -> None:
        self.body = {name: (STATIC_DIR / name).read_bytes() for name in ASSETS}
        self.version = {name: _digest(body) for name, body in self.body.items()}

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.version[name]}"

    async def serve(self, request: Request) -> Response:
        name = request.path_params["path"]
        if name not in ASSETS:
            return PlainTextResponse("Not Found", status_code=404, headers=SECURITY_HEADERS)
        etag = f'"{self.version[name]}"'
        current = request.query_params.get("v") == self.version[name]
        cache = f"public, max-age={YEAR}, immutable" if current else "no-cache"
        headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": cache}
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(self.body[name], media_type=ASSETS[name], headers=headers)


def marks(fragment: str) -> Markup:
    """A search highlight as safe markup: the text between `<em>` marks in `<mark>`, everything else
    escaped text. Entities are decoded first, so an escaped highlight and a raw one show alike."""
    out: list[str] = []
    inside = False
    for part in _MARK.split(fragment):
        if part in ("<em>", "</em>"):
            inside = part == "<em>"
            continue
        text = str(escape(html.unescape(part)))
        out.append(f"<mark>{text}</mark>" if inside and text else text)
    return Markup("".join(out))


def plain(fragment: str) -> str:
    """A highlight without its marks (to compare with a name)."""
    return html.unescape(_MARK.sub("", fragment))


def environment(assets: Assets) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = assets.url
    env.filters["marks"] = marks
    env.filters["plain"] = plain
    env.filters["day"] = lambda value: value[:10] if isinstance(value, str) else "—"
    return env


def page_response(request: Request, body: str, status: int, max_age: int, headers: dict[str, str]) -> Response:
    """An HTML page with the security headers; a 200 is public and revalidated by its ETag."""
    data = body.encode()
    all_headers = {**SECURITY_HEADERS, **headers}
    if status != 200 or max_age <= 0:
        all_headers["Cache-Control"] = "no-store"
        return Response(data, status_code=status, media_type="text/html; charset=utf-8", headers=all_headers)
    etag = f'W/"{_digest(data)}"'
    all_headers.update({"ETag": etag, "Cache-Control": f"public, max-age={max_age}"})
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=all_headers)
    return Response(data, media_type="text/html; charset=utf-8", headers=all_headers)


def render(env: Environment, template: str, **values: Any) -> str:
    return env.get_template(template).render(**values)
