"""Domain errors of the credit services; the API maps each to an `extensions.code`.

Messages are shown to the caller as they are: they state the rule that was broken and never hold
personal data (no names, no ID numbers, no free text the caller or another party submitted).
"""

from __future__ import annotations


class DomainError(Exception):
    """A command refused by the rules; `message` is safe to show to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    """The command breaks a rule or its input is invalid (BAD_USER_INPUT)."""


class NotAllowed(DomainError):
    """The viewer's role or subject does not allow the command (FORBIDDEN)."""


class NotFoundError(DomainError):
    """The command names something that does not exist (NOT_FOUND)."""


class ServiceUnavailable(DomainError):
    """A backing service (the search engine) does not answer now; the caller may retry."""
