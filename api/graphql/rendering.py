"""Subscription events rendered once per (role class, operation) and shared by its subscribers.

`disclosurePublished` yields the hub's `Delivery` (api/graphql/live.py), one object offered to every
subscriber whose filter matches. `SharedEventExecutor` (the schema's graphql-core executor) executes
a subscription's selection for such an event once per group of subscribers that would get the same
answer, and hands the same `ExecutionResult` to the others:
- the group is the viewer's role class (role, keyed or not, bound subject, authorities: everything
  masking and permissions read; not which key it is, nor its name) and the operation (the parsed
  document, shared through the guard's parser cache, and its coerced variables, which hold the filter);
- each group renders from its own `CreditRecord` (which caches the texts its viewer may read), with
  fresh loaders and the delivery's day, so nothing crosses from one role class to another;
- the first subscriber of a group starts the rendering as a task; the others wait for it (shielded:
  a subscriber that leaves does not cancel it for the rest). The memo lives on the delivery and goes
  with it once every subscriber has taken it.
The websocket adapter then encodes the shared data once (api/http/websocket.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.context import Context
from api.graphql.live import Delivery
from api.graphql.loaders import Loaders
from api.graphql.types import CreditRecord
from credit.access.viewer import Viewer


def role_class(viewer: Viewer) -> tuple[object, ...]:
    """What a rendering may depend on in a viewer: its role, whether it has a key at all (permissions
    such as `IsAuthenticated`), its bound subject and its authorities."""
    return (viewer.role, viewer.key_id is not None, viewer.subject_id, viewer.authorities)


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        delivery = self.root_value
        context = self.context_value
        if not isinstance(delivery, Delivery) or not isinstance(context, Context):
            return super().execute_operation(serially)
        return self._shared(delivery, context, serially)

    async def _shared(self, delivery: Delivery, context: Context, serially: bool | None) -> ExecutionResult:
        key = (role_class(context.viewer), id(self.operation), repr(self.variable_values.coerced))
        entry = delivery.renderings.get(key)
        if entry is None or entry[0] is not self.operation:
            task = asyncio.ensure_future(self._render(delivery, context, serially))
            entry = delivery.renderings[key] = (self.operation, task)
        result: ExecutionResult = await asyncio.shield(entry[1])
        return result

    async def _render(self, delivery: Delivery, context: Context, serially: bool | None) -> ExecutionResult:
        # The connection's context lives as long as the websocket: fresh loaders and today for each
        # record, so a long subscription never serves cached rows or yesterday's status.
        context.today = delivery.today
        context.loaders = Loaders(context.runtime, delivery.today, cached=False)
        context.loaders.subject_by_id.prime(delivery.subject.id, delivery.subject)
        self.root_value = CreditRecord(row=delivery.record)
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return result
