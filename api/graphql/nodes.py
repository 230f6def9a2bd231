"""`node(id:)`: any object with a global id (api/graphql/ids.py), as its viewer may see it.

Subjects are public (natural persons masked as everywhere). A credit record, and an objection to it,
is readable while the record is in public disclosure, and afterwards by the roles that read inactive
records and by the subject itself (`credit.access.policy.may_read_record`); a credit-repair
application by the credit office and the subject (`may_read_repair`). Anything else — unknown,
another viewer's, or of a type without global ids — is null, as Relay expects, so the answer never
tells whether an id exists that the viewer may not see.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import BadUserInput
from api.graphql.ids import Node, parse_global_id
from api.graphql.repairs import CreditRepair
from api.graphql.subject_types import Subject
from api.graphql.types import CreditRecord, Objection
from credit.access.policy import may_read_record
from credit.lifecycle import service as lifecycle
from credit.rules.flags import in_public_disclosure


async def _node(context: Context, type_name: str, number: int) -> Node | None:
    if type_name == "Subject":
        subject = await context.loaders.subject_by_id.load(number)
        return Subject(row=subject) if subject is not None else None
    if type_name == "CreditRecord":
        record = await context.loaders.record_by_id.load(number)
        if record is None:
            return None
        disclosed = in_public_disclosure(record.facts(), context.today)
        return CreditRecord(row=record) if may_read_record(context.viewer, record.subject_id, disclosed) else None
    if type_name == "Objection":
        objection = await lifecycle.objection_for(context.runtime, context.viewer, number, context.today)
        return Objection(row=objection) if objection is not None else None
    if type_name == "CreditRepair":
        repair = await lifecycle.repair_for(context.runtime, context.viewer, number)
        return CreditRepair(row=repair) if repair is not None else None
    return None


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object with a global id (Subject, CreditRecord, Objection, CreditRepair), as the viewer "
        "may see it; null when there is none the viewer may see. A plain number is BAD_USER_INPUT: it names no "
        "type (use subject(id:) for a subject's number)."
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None:
            raise BadUserInput("id is not a global id (base64 of Type:number)")
        return await _node(info.context, *parsed)
