"""The published measures catalogue (`measures`, public) and the credit office's `redListWithdrawals`.

Both read through `credit.measures.service`; the catalogue is the same table the flags come from.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import check_first
from api.graphql.enums import BodyKind, FlagKind, MeasureReach, SubjectKind
from api.graphql.ids import id_argument
from api.graphql.permissions import IsAuthenticated, needs
from api.graphql.types import CreditRecord
from credit.access.policy import Capability
from credit.measures import service
from credit.measures.service import RedListWithdrawal as WithdrawalItem
from credit.rules.catalogue import Measure as CatalogueMeasure


@strawberry.type(description="Whom a measure binds for one kind of subject (适用对象).")
class MeasureApplication:
    subject_kind: SubjectKind = strawberry.field(description="A kind of subject the measure applies to.")
    reach: MeasureReach = strawberry.field(description="Whom the measure binds for that kind.")


@strawberry.type(
    description="One version of a measure of the published catalogue (四张清单: the incentive and punishment "
    "measure lists), with what 吉政办发〔2017〕4号 asks each entry to carry."
)
class Measure:
    measure: strawberry.Private[CatalogueMeasure]

    @strawberry.field(description="The measure's code, as in CreditFlag.code.")
    def code(self) -> str:
        return self.measure.code

    @strawberry.field(description="The version of this entry; a change of the law adds a version.")
    def version(self) -> str:
        return self.measure.version

    @strawberry.field(description="措施名称.")
    def name(self) -> str:
        return self.measure.name

    @strawberry.field(description="INCENTIVE (守信激励) or PUNISHMENT (失信惩戒).")
    def kind(self) -> FlagKind:
        return self.measure.kind

    @strawberry.field(description="实施事由: what brings the measure.")
    def trigger(self) -> str:
        return self.measure.trigger

    @strawberry.field(description="措施内容: what the measure does.")
    def content(self) -> str:
        return self.measure.content

    @strawberry.field(description="法律依据: the law, regulation or policy and article.")
    def basis(self) -> str:
        return self.measure.basis

    @strawberry.field(description="联合奖惩实施单位: the body that implements the measure.")
    def implementing_body(self) -> str:
        return self.measure.implementing_body

    @strawberry.field(description="The kind of implementing body.")
    def body_kind(self) -> BodyKind:
        return self.measure.body_kind

    @strawberry.field(description="证据材料: the document that proves the trigger.")
    def evidence(self) -> str:
        return self.measure.evidence

    @strawberry.field(
        description="Whether an objection to the record that brings it holds the measure while it is verified: true "
        "for the joint measures of other agencies, false for a court's own orders and for incentives."
    )
    def held_during_objection(self) -> bool:
        return self.measure.held_during_objection

    @strawberry.field(description="The kinds of subject the measure applies to, and whom it binds for each.")
    def applies_to(self) -> list[MeasureApplication]:
        return [MeasureApplication(subject_kind=k, reach=r) for k, r in sorted(self.measure.applies_to.items())]

    @strawberry.field(description="First day this version is in force; null: since always.")
    def effective_from(self) -> dt.date | None:
        return self.measure.effective_from

    @strawberry.field(description="Last day this version is in force (inclusive); null: until replaced.")
    def effective_until(self) -> dt.date | None:
        return self.measure.effective_until


@strawberry.type(description="A red listing (诚信典型) that its designating body should withdraw.")
class RedListWithdrawal:
    item: strawberry.Private[WithdrawalItem]

    @strawberry.field(description="The red listing to withdraw.")
    def record(self) -> CreditRecord:
        return CreditRecord(row=self.item.record)

    @strawberry.field(description="The catalogue's withdrawal rule.")
    def rule(self) -> str:
        return self.item.rule

    @strawberry.field(description="The ACTIVE black listings or court listings in force because of which.")
    def because(self) -> list[CreditRecord]:
        return [CreditRecord(row=row) for row in self.item.because]


@strawberry.type
class MeasureQuery:
    @strawberry.field(
        description="The published measures catalogue (四张清单, the measure lists): every version of every measure "
        "with its basis and implementing body, by code. With inForceOn: only the versions in force that day. The "
        "same table as CSV and JSON: GET /catalogue/measures.csv, /catalogue/scopes.csv, /catalogue/measures.json."
    )
    def measures(
        self,
        in_force_on: Annotated[
            dt.date | None, strawberry.argument(description="Only the versions in force on this day.")
        ] = None,
    ) -> list[Measure]:
        catalogue = service.catalogue()
        found = [m for m in catalogue.measures if in_force_on is None or m.in_force(in_force_on)]
        found.sort(key=lambda m: (m.code, m.effective_from or dt.date.min))
        return [Measure(measure=m) for m in found]

    @strawberry.field(
        description="Red listings of subjects with an ACTIVE black listing or 失信被执行人 listing in force, which "
        "their designating bodies should withdraw (credit office), by record id; `after` is the id of the last red "
        "listing seen.",
        permission_classes=[IsAuthenticated, needs(Capability.CREDIT_OFFICE)],
    )
    async def red_list_withdrawals(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description="At most this many (1 to 100).")] = 100,
        after: Annotated[
            strawberry.ID | None, strawberry.argument(description="The id of the last red listing seen.")
        ] = None,
    ) -> list[RedListWithdrawal]:
        context = info.context
        size = check_first(100 if first is None else first)
        position = id_argument(after, "after", "CreditRecord") if after is not None else None
        items = await service.red_list_withdrawals(context.runtime, context.viewer, context.today, size, position)
        return [RedListWithdrawal(item=item) for item in items]
