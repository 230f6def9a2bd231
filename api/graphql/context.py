"""Per-request context: the runtime's clients, the viewer, and the request's DataLoaders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from api.graphql.loaders import Loaders
from credit import clock
from credit.access.policy import Capability, can
from credit.access.viewer import Viewer
from credit.platform.runtime import Runtime
from credit.privacy.view import TextView


@dataclass
class Context:
    runtime: Runtime
    viewer: Viewer
    request: Request | WebSocket
    response: Any = None
    today: dt.date = field(default_factory=clock.today)
    # The graphql-transport-ws `connection_init` payload (strawberry sets it); read by `on_ws_connect`.
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.runtime, self.today)

    @property
    def texts(self) -> TextView:
        """Free text as this viewer reads it (the viewer of a websocket is set after connection_init)."""
        return TextView(self.runtime.vault, self.viewer)

    @property
    def entitled(self) -> bool:
        """Roles that may read inactive records and look subjects up by ID number."""
        return can(self.viewer, Capability.READ_INACTIVE)
