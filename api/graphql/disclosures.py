"""`disclosures` (the feed journalists and the public website browse) and `disclosurePublished`.

Both read through `credit.disclosures.feed`: only records in public disclosure, newest first by
(publishedOn, id), with keyset cursors that stay correct while records are written (see there).
Personal data leaves through the types of `api.graphql.types`, masked as everywhere else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, Iterator
from typing import Annotated, cast

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import decode, paging_of
from api.graphql.enums import RecordCategory
from api.graphql.errors import BadUserInput, RateLimited
from api.graphql.live import DisclosureHub
from api.graphql.types import CreditRecord, CreditRecordConnection, record_connection
from api.guard.sockets import CapReached, SocketLimits, socket_client
from credit.disclosures import service
from credit.disclosures.feed import FeedFilter, FeedPosition


@strawberry.input(description="Every criterion given must hold; `categories` matches any of them.")
class DisclosureFilter:
    categories: list[RecordCategory] | None = None
    region_code_prefix: str | None = strawberry.field(
        default=None,
        description="The subject's division: leading digits of its code (行政区划代码), e.g. 3204, or a "
        "division's name (常州, 天宁区, 江蘇); an ambiguous name (鼓楼区) is BAD_USER_INPUT listing the candidates.",
    )
    authority: str | None = strawberry.field(default=None, description="The deciding authority, exactly.")
    published_from: dt.date | None = strawberry.field(default=None, description="First publication day, inclusive.")
    published_to: dt.date | None = strawberry.field(default=None, description="Last publication day, inclusive.")


def feed_filter_of(value: DisclosureFilter | None) -> FeedFilter:
    """The validated domain filter; BAD_USER_INPUT naming the bad field."""
    if value is None:
        return FeedFilter()
    return FeedFilter.of(
        categories=value.categories,
        region_code_prefix=value.region_code_prefix,
        authority=value.authority,
        published_from=value.published_from,
        published_to=value.published_to,
    )


def position_of(cursor: str) -> FeedPosition:
    """The keyset of a record cursor (`record_cursor`); BAD_USER_INPUT for anything else."""
    published, record_id = decode("rec", cursor, 2)
    try:
        if not isinstance(published, str) or not isinstance(record_id, int) or isinstance(record_id, bool):
            raise ValueError("bad cursor values")
        return FeedPosition(dt.date.fromisoformat(published), record_id)
    except ValueError:
        raise BadUserInput("unknown cursor") from None


@contextlib.contextmanager
def subscription_slot(context: Context) -> Iterator[None]:
    """One of the socket's and its client's subscription slots (api/guard/sockets.py) while the
    subscription runs; RATE_LIMITED naming the cap (`extensions.limit`) when none is free."""
    limits = getattr(context.request.app.state, "sockets", None)
    client = socket_client(context.request)
    if not isinstance(limits, SocketLimits) or client is None:
        yield
        return
    try:
        with limits.subscription(client):
            yield
    except CapReached as cap:  # only on entering: the subscription never ran
        raise RateLimited(cap.message, limit=cap.limit) from None


def hub_of(context: Context) -> DisclosureHub:
    hub = getattr(context.request.app.state, "disclosure_hub", None)
    if not isinstance(hub, DisclosureHub):
        raise BadUserInput("live disclosures are not available on this server")
    return hub


@strawberry.type
class DisclosureQuery:
    @strawberry.field(
        description="Records in public disclosure (not revoked, repaired or expired), newest first by publication "
        "day then id. Records under objection appear with status UNDER_OBJECTION. Cursors stay valid while "
        "records are published or withdrawn: no record is repeated or skipped. Page forwards with first/after, "
        "or backwards with last/before (`last` alone: the oldest records; `first` is then ignored)."
    )
    async def disclosures(
        self,
        info: Info[Context, None],
        filter: DisclosureFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
        last: Annotated[int | None, strawberry.argument(description="Page backwards: this many, 1 to 100.")] = None,
        before: Annotated[str | None, strawberry.argument(description="Page backwards from this cursor.")] = None,
    ) -> CreditRecordConnection:
        context = info.context
        feed_filter = feed_filter_of(filter)
        paging = paging_of(first, after, last, before)
        if paging.backwards:
            position = position_of(before) if before is not None else None
            page = await service.feed_page_before(context.runtime, feed_filter, context.today, position, paging.size)
        else:
            position = position_of(after) if after is not None else None
            page = await service.feed_page(context.runtime, feed_filter, context.today, position, paging.size)
        return record_connection(
            page.records, paging.size, page.total, page.has_previous_page, has_next_page=page.has_next_page
        )


@strawberry.type
class DisclosureSubscription:
    @strawberry.subscription(
        description="Records as they are published (and as they change while disclosed), filtered; over "
        "graphql-transport-ws on /graphql, authenticated by the connection_init payload "
        '{"Authorization": "Bearer <key>"}. A client that does not keep up loses its oldest undelivered records.'
    )
    async def disclosure_published(
        self, info: Info[Context, None], filter: DisclosureFilter | None = None
    ) -> AsyncGenerator[CreditRecord, None]:
        feed_filter = feed_filter_of(filter)
        context = info.context
        with subscription_slot(context):
            async with hub_of(context).subscribe(feed_filter) as subscriber:
                while (delivery := await subscriber.next()) is not None:
                    # The delivery itself: the schema's executor renders it into a CreditRecord once
                    # per role class and operation, shared by the subscribers (api/graphql/rendering.py).
                    yield cast(CreditRecord, delivery)
