"""The contract's enums exposed to GraphQL (values are the Python enums of `credit.enums`)."""

from __future__ import annotations

import strawberry

from credit import enums

SubjectKind = strawberry.enum(enums.SubjectKind)
RecordCategory = strawberry.enum(enums.RecordCategory)
Severity = strawberry.enum(enums.Severity)
RecordStatus = strawberry.enum(enums.RecordStatus)
ObjectionStatus = strawberry.enum(enums.ObjectionStatus)
ObjectionOutcome = strawberry.enum(enums.ObjectionOutcome)
RepairStatus = strawberry.enum(enums.RepairStatus)
FlagKind = strawberry.enum(enums.FlagKind)
CheckPurpose = strawberry.enum(enums.CheckPurpose)
