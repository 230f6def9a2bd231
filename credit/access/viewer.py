"""Who is asking: the viewer of a request, derived from its API key (or none: PUBLIC)."""

from __future__ import annotations

from dataclasses import dataclass

from credit.enums import Role


@dataclass(frozen=True)
class Viewer:
    """A role, the key that proved it, for SUBJECT keys the subject bound to it, for keys of a data
    provider (or of the credit office for the records it makes itself) the authorities they act for, and
    the key's own rate limit (query cost per minute; None: the service's default for keys)."""

    role: Role
    key_id: int | None = None
    subject_id: int | None = None
    name: str = "anonymous"
    #: The authorities (认定单位) the key acts for: it writes and decides their records only.
    authorities: frozenset[str] = frozenset()
    rate_limit: int | None = None

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.name}" if self.key_id else self.role.value


ANONYMOUS = Viewer(Role.PUBLIC)
