"""Typed settings, read once from the environment (and `.env` when present)."""

from __future__ import annotations

import functools
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from credit.rules.calendar import (
    CORRECTION_WORKING_DAYS,
    OBJECTION_REPLY_WORKING_DAYS,
    REPAIR_DECISION_WORKING_DAYS,
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = None
    elasticsearch_url: str | None = None
    redis_url: str | None = None
    # Prefix of every Redis key and channel (deployments or test sessions sharing one Redis).
    redis_namespace: str = ""
    creditgraph_home: Path = Path(".creditgraph")
    environment: Environment = Field(default=Environment.DEVELOPMENT, alias="CREDITGRAPH_ENV")
    # Secret for personal-data encryption (AES-GCM) and the keyed blind index (HMAC).
    # In development a key is generated once under CREDITGRAPH_HOME; production must set it.
    secret_key: SecretStr | None = Field(default=None, alias="CREDITGRAPH_SECRET_KEY")
    # Earlier keys still accepted for decryption while data is re-encrypted (comma separated).
    old_secret_keys: str = Field(default="", alias="CREDITGRAPH_OLD_SECRET_KEYS")
    # "auto" asks the engine at start; "elasticsearch" or "opensearch" forces the header style.
    search_engine_flavor: str = Field(default="auto", alias="SEARCH_ENGINE_FLAVOR")
    search_index_prefix: str = Field(default="", alias="SEARCH_INDEX_PREFIX")
    objection_reply_working_days: int = OBJECTION_REPLY_WORKING_DAYS
    correction_working_days: int = CORRECTION_WORKING_DAYS
    repair_decision_working_days: int = REPAIR_DECISION_WORKING_DAYS
    # Connections of one process: `db_pool_size` kept open, as many again opened under load.
    db_pool_size: int = 10
    # What the API workers of one `serve --workers N` may open together; each worker gets its share
    # (`pool_size_per_worker`) unless DB_POOL_SIZE is set. PostgreSQL allows 100 by default.
    db_connection_budget: int = 60
    # Abuse protection (api/guard/query.py, api/guard/ratelimit.py, api/http/transport.py); checked before any database
    # or search call. Cost is explained in api/guard/complexity.py.
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_query_tokens: int = 3000
    max_query_nodes: int = 500
    max_query_cost: int = 3000
    max_operations_per_document: int = 5
    max_request_bytes: int = 1_000_000
    # The GraphQL document itself (variables excluded): characters, and the time its tokens may take to
    # count before it is parsed (api/guard/precheck.py).
    max_query_length: int = 100_000
    max_query_check_seconds: float = 1.0
    request_timeout_seconds: float = 15.0
    rate_limit_window_seconds: int = 60
    rate_limit_cost_per_key: int = 30_000
    rate_limit_cost_per_address: int = 15_000
    # A refused document (or key) is charged like a heavy query: 60 a minute spend an address's budget.
    rate_limit_rejected_cost: int = 250
    # A client in the penalty box gets its 429 this much later (at most this many held at once).
    rate_limit_delay_seconds: float = 1.0
    rate_limit_max_delayed: int = 256
    rate_limit_key_prefix: str = "creditgraph:rl:"
    # Websockets (api/http/websocket.py, api/guard/sockets.py): a running subscription's key is checked
    # again this often (revoked, expired or changed: the socket is closed 4403); open sockets per client
    # address; live subscriptions per socket and per key (or, without a key, per address) in a process.
    ws_key_check_seconds: float = 30.0
    ws_max_connections_per_address: int = 16
    ws_max_subscriptions_per_connection: int = 10
    ws_max_subscriptions_per_client: int = 20
    # Subscription messages sent per turn of the event loop and per second (api/graphql/live.py): a
    # fan-out to thousands of subscribers interleaves with the requests instead of stalling them.
    ws_fanout_per_tick: int = 2
    ws_fanout_per_second: float = 1000.0
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs); empty:
    # the connection's peer is the client (api/guard/admission.py).
    trusted_proxies: str = ""
    # Origins whose pages may call the API from a browser (comma-separated; `*` in the port or a
    # leading `*.` in the host as wildcards, e.g. http://localhost:*); empty: none (api/http/cors.py).
    cors_allow_origins: str = ""
    # Exports (api/http/exports.py): streams at once per process and per client address; a client that
    # takes no bytes for `export_send_timeout_seconds` is dropped, and no export runs longer than
    # `export_max_seconds` (either frees its slot and its PostgreSQL transaction).
    export_slots: int = 4
    export_slots_per_client: int = 1
    export_send_timeout_seconds: float = 30.0
    export_max_seconds: float = 600.0
    # The service's public address (https://credit.example.org): the Atom feed's id and self link.
    # Empty: they are relative to the request's Host, and the feed is not cached publicly.
    public_base_url: str = ""
    # `GET /metrics` needs `Authorization: Bearer <METRICS_KEY>` when set; unset, it is open in
    # development and answers 404 in production.
    metrics_key: SecretStr | None = None
    # Public GET answers may be cached this long by browsers and CDNs (api/http/caching.py).
    public_cache_max_age_seconds: int = 30
    # Automatic persisted queries (api/http/persisted.py): how long a registered document is kept and
    # the largest document that may be registered.
    persisted_query_ttl_seconds: int = 86_400
    persisted_query_max_bytes: int = 20_000
    # Keeping a new document is charged this much query cost against the request's budget.
    persisted_query_register_cost: int = 100

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """`trusted_proxies` parsed; ValueError naming a bad entry."""
        networks = []
        for entry in filter(None, (part.strip() for part in self.trusted_proxies.split(","))):
            try:
                networks.append(ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address or a CIDR block") from None
        return tuple(networks)

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return tuple(filter(None, (part.strip() for part in self.cors_allow_origins.split(","))))

    @property
    def home(self) -> Path:
        return self.creditgraph_home.resolve()

    @property
    def subjects_alias(self) -> str:
        return f"{self.search_index_prefix}subjects"


@functools.cache
def get_settings() -> Settings:
    return Settings()


def pool_size_per_worker(budget: int, workers: int, default: int = 10) -> int:
    """Each API worker's `db_pool_size` so that N workers (pool plus equal overflow) stay in `budget`."""
    return max(2, min(default, budget // (2 * max(1, workers))))
