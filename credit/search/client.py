"""The search-engine client and index management (versioned indices behind an alias).

One client and one code path serve Elasticsearch 8, OpenSearch and the embedded osmem-server. The
official client sends `application/vnd.elasticsearch+json; compatible-with=8`, which
OpenSearch-compatible engines refuse with 406; the node classes below send the plain media type
(`application/json`, `application/x-ndjson`) instead when the engine is OpenSearch-compatible.
Which engine it is comes from the `SEARCH_ENGINE_FLAVOR` setting: `elasticsearch` or `opensearch`
forces it, `auto` asks the engine once (`GET /` → `version.distribution`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from enum import StrEnum
from importlib import resources
from typing import Any, Final

import httpx
from elastic_transport import HttpHeaders, HttpxAsyncHttpNode, NodeConfig
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError, TransportError

from credit.rules import tables_digest
from credit.search.document import DOCUMENT_VERSION

ELASTICSEARCH: Final = "elasticsearch"
OPENSEARCH: Final = "opensearch"
AUTO: Final = "auto"
FLAVORS: Final = frozenset({AUTO, ELASTICSEARCH, OPENSEARCH})

log = logging.getLogger("creditgraph.search")

SUBJECTS_CONFIG: Final = "subjects.json"
META_KEY: Final = "creditgraph_index_version"
FIRST_VERSION: Final = "v1"

_COMPAT_MIMETYPE = re.compile(r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+")
_MIMETYPE_HEADERS = ("accept", "content-type")


def plain_media_types(headers: HttpHeaders) -> HttpHeaders:
    """A copy of the headers with compatible-with media types turned into plain ones."""
    rewritten = headers.copy()
    for name in _MIMETYPE_HEADERS:
        value = rewritten.get(name)
        if value:
            rewritten[name] = _COMPAT_MIMETYPE.sub(r"application/\1", value)
    return rewritten


def flavor_of(root_info: dict[str, Any]) -> str:
    """The flavor named by the body of `GET /`."""
    version = root_info.get("version")
    distribution = version.get("distribution") if isinstance(version, dict) else None
    return OPENSEARCH if distribution == OPENSEARCH else ELASTICSEARCH


async def detect_flavor(url: str, *, request_timeout: float = 10.0) -> str:
    """Ask the engine at `url` what it is: `opensearch` or `elasticsearch`."""
    async with httpx.AsyncClient(timeout=request_timeout) as http:
        response = await http.get(url.rstrip("/") + "/", headers={"accept": "application/json"})
        response.raise_for_status()
        info = response.json()
    return flavor_of(info if isinstance(info, dict) else {})


class OpenSearchCompatibleNode(HttpxAsyncHttpNode):
    """An httpx node that always sends plain media types (OpenSearch, osmem-server)."""

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)
        self._headers = plain_media_types(self._headers)

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        plain = plain_media_types(headers) if headers else headers
        return await super().perform_request(method, target, body, plain, request_timeout)


class AutoDetectingNode(HttpxAsyncHttpNode):
    """An httpx node that asks the engine once, before its first request, which media types it takes."""

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)
        self._flavor: str | None = None
        self._detecting = asyncio.Lock()

    @property
    def flavor(self) -> str | None:
        return self._flavor

    async def _detect(self) -> str | None:
        async with self._detecting:
            if self._flavor is None:
                try:
                    response = await self.client.get(self._path_prefix + "/", headers={"accept": "application/json"})
                    info = response.json() if response.status_code == 200 else None
                except (httpx.HTTPError, ValueError):
                    # Unknown for now: the request below surfaces the real error; ask again next time.
                    return None
                if isinstance(info, dict):
                    self._flavor = flavor_of(info)
            return self._flavor

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        flavor = self._flavor or await self._detect()
        if flavor == OPENSEARCH and headers:
            headers = plain_media_types(headers)
        return await super().perform_request(method, target, body, headers, request_timeout)


def node_class_for(flavor: str) -> type[HttpxAsyncHttpNode]:
    if flavor not in FLAVORS:
        raise ValueError(f"search engine flavor must be one of {sorted(FLAVORS)}, not {flavor!r}")
    if flavor == OPENSEARCH:
        return OpenSearchCompatibleNode
    if flavor == AUTO:
        return AutoDetectingNode
    return HttpxAsyncHttpNode


def make_search_client(url: str, flavor: str = AUTO, *, request_timeout: float = 10.0) -> AsyncElasticsearch:
    """An async client for `url`; with `auto`, each node asks the engine once before its first request."""
    return AsyncElasticsearch(url, node_class=node_class_for(flavor), request_timeout=request_timeout)


async def open_search_client(url: str, flavor: str = AUTO, *, request_timeout: float = 10.0) -> AsyncElasticsearch:
    """Like `make_search_client`, resolving `auto` up front (for an app's lifespan start-up)."""
    resolved = flavor
    if flavor == AUTO:
        try:
            resolved = await detect_flavor(url, request_timeout=request_timeout)
        except (httpx.HTTPError, ValueError) as exc:
            # The engine is down: start anyway, and let each node ask once it answers.
            log.warning("search engine at %s does not answer (%s); detecting later", url, type(exc).__name__)
    return make_search_client(url, resolved, request_timeout=request_timeout)


# --- index management -----------------------------------------------------------------------------


def load_index_config(name: str = SUBJECTS_CONFIG) -> dict[str, Any]:
    """Settings and mappings from the `search_config` package (package data, not inlined), the
    mappings' `_meta` stamped with the `index_version` they and the document builder make."""
    text = resources.files("search_config").joinpath(name).read_text(encoding="utf-8")
    config: dict[str, Any] = json.loads(text)
    config["mappings"]["_meta"] = {META_KEY: index_version(text)}
    return config


def index_version(config_text: str | None = None) -> str:
    """The version of an index built now: a digest of the packaged settings and mappings, the
    document builder's `DOCUMENT_VERSION` and a digest of the rule tables (`credit.rules.tables_digest`:
    flags and disclosure in the documents follow them). An index whose `_meta` holds another value
    was built by another release and must be rebuilt (`creditgraph reindex`) before it serves this one."""
    if config_text is None:
        config_text = resources.files("search_config").joinpath(SUBJECTS_CONFIG).read_text(encoding="utf-8")
    digest = hashlib.sha256(config_text.encode()).hexdigest()[:12]
    return f"{digest}.{DOCUMENT_VERSION}.{tables_digest()}"


class IndexState(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no index behind the alias
    OUTDATED = "outdated"  # built by another release: rebuild it
    UNAVAILABLE = "unavailable"  # the engine does not answer


async def index_state(client: AsyncElasticsearch, alias: str) -> IndexState:
    """Whether the alias serves an index of this release (`index_version`)."""
    try:
        response = await client.indices.get_mapping(index=alias)
    except NotFoundError:
        return IndexState.MISSING
    except (ApiError, TransportError):
        return IndexState.UNAVAILABLE
    if not response.body:  # some engines answer an unknown name with an empty 200
        return IndexState.MISSING
    versions = {(body.get("mappings", {}).get("_meta") or {}).get(META_KEY) for body in response.body.values()}
    return IndexState.OK if versions == {index_version()} else IndexState.OUTDATED


async def concrete_indices(client: AsyncElasticsearch, alias: str) -> list[str]:
    """The indices the alias points at (empty when the alias does not exist)."""
    try:
        response = await client.indices.get_alias(name=alias)
    except NotFoundError:
        return []
    return sorted(response.body)


async def create_versioned_index(
    client: AsyncElasticsearch, alias: str, version_suffix: str, *, config_name: str = SUBJECTS_CONFIG
) -> str:
    """Create `<alias>_<version_suffix>` with the packaged settings and mappings; returns its name."""
    config = load_index_config(config_name)
    index = f"{alias}_{version_suffix}"
    await client.indices.create(index=index, settings=config["settings"], mappings=config["mappings"])
    return index


async def ensure_alias(client: AsyncElasticsearch, alias: str) -> str:
    """The concrete index behind `alias`, creating `<alias>_v1` and the alias when missing."""
    current = await concrete_indices(client, alias)
    if current:
        return current[-1]
    index = f"{alias}_{FIRST_VERSION}"
    try:
        await create_versioned_index(client, alias, FIRST_VERSION)
    except BadRequestError as exc:
        # Another process created it first (or it survived a lost alias): adopt it.
        if exc.error != "resource_already_exists_exception":
            raise
    await client.indices.update_aliases(actions=[{"add": {"index": index, "alias": alias}}])
    return index


async def swap_alias(client: AsyncElasticsearch, alias: str, new_index: str) -> None:
    """Point `alias` at `new_index` in one atomic `_aliases` call, then delete the indices it left."""
    old = [index for index in await concrete_indices(client, alias) if index != new_index]
    actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": alias}} for index in old]
    actions.append({"add": {"index": new_index, "alias": alias}})
    await client.indices.update_aliases(actions=actions)
    for index in old:
        await client.indices.delete(index=index)
