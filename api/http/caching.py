"""HTTP caching of GraphQL answers: public answers to GET are cacheable, nothing else is.

An answer is public when the request carries no key (role PUBLIC: what anyone sees, personal data
masked) and is a GET of a query that ran without errors. It gets a weak `ETag` (a hash of its body),
`Cache-Control: public, max-age=<PUBLIC_CACHE_MAX_AGE_SECONDS>` and `Vary: Accept, Authorization`
(and Origin, from the CORS middleware), so the website, the mini-program, browsers and a CDN may keep
it that long and then revalidate: a request with a matching `If-None-Match` is answered 304 with no
body. The query still runs (and is charged) to learn whether the answer changed: a 304 saves the
transfer, not the work. An answer to a request with a key is `Cache-Control: private, no-store`, never
stored by a shared cache, whatever its method; a GET answer with errors is `no-store`.
"""

from __future__ import annotations

import hashlib

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from credit.access.viewer import Viewer

PRIVATE = "private, no-store"
_KEEP_ON_304 = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


def _ran_cleanly(body: bytes) -> bool:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("data") is not None and not data.get("errors")


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored, `*` matches anything."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def cache_answer(request: Request, response: Response, viewer: Viewer, max_age: int) -> Response:
    """`response` with the caching headers its kind of answer gets (or a 304 in its place)."""
    if viewer.key_id is not None or "authorization" in request.headers:
        response.headers["Cache-Control"] = PRIVATE
        return response
    if request.method != "GET" or isinstance(response, StreamingResponse):
        return response
    if "cache-control" in response.headers:  # already decided (a refusal, PersistedQueryNotFound)
        return response
    body = bytes(response.body)
    if response.status_code != 200 or max_age <= 0 or not _ran_cleanly(body):
        response.headers["Cache-Control"] = "no-store"
        return response
    etag = 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept, Authorization",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        kept = {k: v for k, v in response.headers.items() if k.lower() in _KEEP_ON_304}
        return Response(status_code=304, headers={**kept, **headers})
    response.headers.update(headers)
    return response
