"""Role checks of the GraphQL fields, as strawberry permissions (listed in `permission_classes`).

Put `IsAuthenticated` first: a request without a key is answered UNAUTHENTICATED, a key of the
wrong role FORBIDDEN. `needs(capability)` is built from the one access table
(`credit.access.policy`), which the services check again (with ownership of records): these classes
only turn the wrong callers away early, with the contract's error codes.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import Forbidden, Unauthenticated
from credit.access.policy import Capability, roles_with
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

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return info.context.viewer.role in self.roles


@functools.cache
def needs(capability: Capability) -> type[BasePermission]:
    """The permission class of the roles granted `capability`."""
    roles = roles_with(capability)
    message = "this operation needs one of the roles " + ", ".join(sorted(r.value for r in roles))
    name = "Needs" + "".join(part.title() for part in capability.value.split("_"))
    return type(name, (_HasRole,), {"roles": roles, "message": message})
