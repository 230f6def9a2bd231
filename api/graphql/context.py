"""Per-request context: the runtime's clients, the viewer, and the request's DataLoaders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from api.graphql.loaders import Loaders
from credit.access.keys import Viewer
from credit.enums import Role
from credit.platform.runtime import Runtime

ENTITLED = frozenset({Role.FINANCIAL_INSTITUTION, Role.REGULATOR, Role.ADMIN})


@dataclass
class Context:
    runtime: Runtime
    viewer: Viewer
    request: Request | WebSocket
    response: Any = None
    today: dt.date = field(default_factory=dt.date.today)
    # The graphql-transport-ws `connection_init` payload (strawberry sets it); read by `on_ws_connect`.
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.runtime.sessions, self.today, self.runtime.broker)

    @property
    def entitled(self) -> bool:
        """Roles that may read inactive records and look subjects up by ID number."""
        return self.viewer.role in ENTITLED
