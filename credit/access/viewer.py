"""Who is asking: the viewer of a request, derived from its API key (or none: PUBLIC)."""

from __future__ import annotations

from dataclasses import dataclass

from credit.enums import Role


@dataclass(frozen=True)
class Viewer:
    """A role, the key that proved it, and for SUBJECT keys the subject bound to it."""

    role: Role
    key_id: int | None = None
    subject_id: int | None = None
    name: str = "anonymous"

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.name}" if self.key_id else self.role.value


ANONYMOUS = Viewer(Role.PUBLIC)
