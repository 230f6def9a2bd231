"""Who is asking: the viewer of a request, derived from its API key (or none: PUBLIC)."""

from __future__ import annotations

from dataclasses import dataclass

from credit.enums import Role


@dataclass(frozen=True)
class Viewer:
    """A role, the key that proved it, for SUBJECT keys the subject bound to it, and the key's own
    rate limit (query cost per minute; None: the service's default for keys)."""

    role: Role
    key_id: int | None = None
    subject_id: int | None = None
    name: str = "anonymous"
    rate_limit: int | None = None

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.name}" if self.key_id else self.role.value


ANONYMOUS = Viewer(Role.PUBLIC)
