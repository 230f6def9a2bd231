"""Role checks of the GraphQL fields, as strawberry permissions (listed in `permission_classes`).

Put `IsAuthenticated` first: a request without a key is answered UNAUTHENTICATED, a key of the
wrong role FORBIDDEN. The services check again (and check ownership of records): these classes
only turn the wrong callers away early, with the contract's error codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import Forbidden, Unauthenticated
from credit.enums import Role


class IsAuthenticated(BasePermission):
    message = "this operation needs an API key (Authorization: Bearer <key>)"
    error_class: type[GraphQLError] = Unauthenticated
    # Strawberry declares it an instance attribute, so no ClassVar here; it is never mutated.
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return info.context.viewer.key_id is not None


class _HasRole(BasePermission):
    roles: ClassVar[frozenset[Role]] = frozenset()
    error_class: type[GraphQLError] = Forbidden
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.message = "this operation needs one of the roles " + ", ".join(sorted(r.value for r in cls.roles))

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return info.context.viewer.role in self.roles


class IsCreditOffice(_HasRole):
    """The credit office: regulators and administrators."""

    roles = frozenset({Role.REGULATOR, Role.ADMIN})


class IsSubjectOrCreditOffice(_HasRole):
    """A SUBJECT key (the services restrict it to its own records) or the credit office."""

    roles = frozenset({Role.SUBJECT, Role.REGULATOR, Role.ADMIN})


class IsDataProviderOrRegulator(_HasRole):
    """Who submits records (归集): data providers and regulators."""

    roles = frozenset({Role.DATA_PROVIDER, Role.REGULATOR})


class IsCreditChecker(_HasRole):
    """Who runs purpose-bound credit checks: financial institutions and regulators."""

    roles = frozenset({Role.FINANCIAL_INSTITUTION, Role.REGULATOR})


class IsRegulator(_HasRole):
    """The credit office's regulators (the audit trail is theirs to read)."""

    roles = frozenset({Role.REGULATOR})


class IsSubject(_HasRole):
    """A SUBJECT key, bound to one subject."""

    roles = frozenset({Role.SUBJECT})
