"""What standard GraphQL tooling needs from the server: GraphiQL that works with no internet, and the
schema's SDL at a stable URL.

- GraphiQL (development only): a browser's GET on `/graphql` gets `graphiql/index.html`, whose scripts
  and styles (React 18.2.0, GraphiQL 3.8.3 and its explorer plugin, MIT, `graphiql/vendor/licenses/`)
  are package data served from `/graphiql/…`, each checked by its SRI hash. The page's
  Content-Security-Policy lets it load and connect to nothing but this origin, so it renders the same
  on a machine with no internet; `graphiql/vendor.sh` re-creates the vendored files from npm and
  checks their hashes.
- `GET /graphql/schema.graphql`: the schema as SDL, in every environment. Production turns
  introspection off (GraphiQL, codegen and `gql` then read this instead); the document is public
  and the same for everyone, so it is cached like other public answers (ETag, `Cache-Control`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

GRAPHIQL_DIR: Final = Path(__file__).resolve().parent / "graphiql"
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: The files the page loads (nothing else in the folder is served), with their media types.
ASSETS: Final = {
    "graphiql-page.css": "text/css",
    "init.js": "text/javascript",
    "vendor/react.production.min.js": "text/javascript",
    "vendor/react-dom.production.min.js": "text/javascript",
    "vendor/graphiql.min.js": "text/javascript",
    "vendor/graphiql.min.css": "text/css",
    "vendor/plugin-explorer.umd.js": "text/javascript",
    "vendor/plugin-explorer.css": "text/css",
    "vendor/licenses/react.LICENSE": "text/plain",
    "vendor/licenses/react-dom.LICENSE": "text/plain",
    "vendor/licenses/graphiql.LICENSE": "text/plain",
    "vendor/licenses/graphiql_plugin-explorer.LICENSE": "text/plain",
}
_PAGE_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def graphiql_page() -> Response:
    """The GraphiQL page (what a browser's GET on /graphql renders in development)."""
    return FileResponse(GRAPHIQL_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


async def graphiql_asset(request: Request) -> Response:
    path = request.path_params["path"]
    if path in ("", "index.html"):
        return graphiql_page()
    media_type = ASSETS.get(path)
    if media_type is None:
        return PlainTextResponse("Not Found", status_code=404)
    # Versioned third-party files: cached for a day; our two small files are revalidated.
    cache = "public, max-age=86400" if path.startswith("vendor/") else "no-cache"
    headers = {**_PAGE_HEADERS, "Cache-Control": cache}
    return FileResponse(GRAPHIQL_DIR / path, media_type=f"{media_type}; charset=utf-8", headers=headers)


def graphiql_routes() -> list[Route]:
    return [Route("/graphiql/{path:path}", graphiql_asset, methods=["GET", "HEAD"])]


def sdl_route(sdl: str, max_age: int) -> Route:
    """`GET /graphql/schema.graphql`: the SDL with a strong ETag (304 on If-None-Match)."""
    body = sdl.encode()
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "X-Content-Type-Options": "nosniff"}

    async def schema_sdl(request: Request) -> Response:
        if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/plain; charset=utf-8", headers=headers)

    return Route("/graphql/schema.graphql", schema_sdl, methods=["GET", "HEAD"])
