"""Credit checks and the audit trail (`credit.checks.service`) against the real PostgreSQL, and the masking
of a natural person's identifiers in the free text of its records (`credit.records.ingest`)."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from sqlalchemy import func, select

from credit.access.viewer import Viewer
from credit.checks import service as checks
from credit.enums import CheckPurpose, Role
from credit.errors import InvalidRequest, NotAllowed, NotFoundError
from credit.models import AuditEntry, CreditRecord, Subject
from credit.platform.runtime import Runtime
from tests.support.factories import (
    PERSON_ADDRESS,
    PERSON_NAME,
    PERSON_PHONE,
    add_person,
    add_record,
    add_subject,
    resident_id,
    viewer,
)

pytestmark = pytest.mark.integration

PERSON, PHONE, ADDRESS = PERSON_NAME, PERSON_PHONE, PERSON_ADDRESS


async def check(
    runtime: Runtime, who: Viewer, code: str, purpose: CheckPurpose = CheckPurpose.LOAN_APPROVAL, ref: str = "AUTH-1"
) -> checks.CheckResult:
    return await checks.credit_check(runtime, who, code, purpose, ref)


async def audit_rows(runtime: Runtime) -> list[AuditEntry]:
    async with runtime.sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


class TestCreditCheck:
    async def test_institution_sees_identity_not_phone_or_address(self, tx: Runtime) -> None:
        code = resident_id()
        subject_id = await add_person(tx, code, former=["李国"])
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION, name="常州银行")
        result = await check(tx, bank, code)
        assert result.subject is not None and result.subject.id == subject_id
        assert result.personal_data == checks.PersonalData(name=PERSON, id_number=code, former_names=("李国",))
        [entry] = await audit_rows(tx)
        assert (entry.key_id, entry.role, entry.action) == (bank.key_id, Role.FINANCIAL_INSTITUTION, "credit_check")
        assert (entry.subject_id, entry.purpose, entry.authorization_ref) == (
            subject_id,
            CheckPurpose.LOAN_APPROVAL,
            "AUTH-1",
        )
        assert entry.unmasked_fields == ["formerNames", "idNumber", "name"]
        assert entry.at is not None and code not in orjson.dumps(entry.details).decode()

    async def test_regulator_sees_everything(self, tx: Runtime) -> None:
        code = resident_id()
        await add_person(tx, code)
        office = await viewer(tx, Role.REGULATOR)
        result = await check(tx, office, code, CheckPurpose.SUPERVISION)
        assert result.personal_data is not None
        assert (result.personal_data.phone, result.personal_data.address) == (PHONE, ADDRESS)
        [entry] = await audit_rows(tx)
        assert entry.unmasked_fields == ["address", "idNumber", "name", "phone"]

    async def test_an_organisation_unmasks_its_legal_representative_only(self, tx: Runtime) -> None:
        _, code = await add_subject(tx, 1)
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION)
        result = await check(tx, bank, code)
        assert result.personal_data is None  # the factory's company has no legal representative
        [entry] = await audit_rows(tx)
        assert entry.unmasked_fields == []

    async def test_a_code_without_subject_is_audited_too(self, tx: Runtime) -> None:
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION)
        code = resident_id(999)
        with pytest.raises(NotFoundError):
            await check(tx, bank, code)
        [entry] = await audit_rows(tx)  # committed before the answer
        assert entry.subject_id is None and entry.details == {"found": False, "code": code[:4] + "*" * 10 + code[-4:]}

    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.JOURNALIST, Role.DATA_PROVIDER, Role.SUBJECT, Role.ADMIN])
    async def test_other_roles_are_refused(self, tx: Runtime, role: Role) -> None:
        with pytest.raises(NotAllowed):
            await check(tx, Viewer(role, key_id=None), resident_id())
        assert await audit_rows(tx) == []

    async def test_institutions_state_their_own_purposes_only(self, tx: Runtime) -> None:
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION)
        with pytest.raises(NotAllowed, match="SUPERVISION"):
            await check(tx, bank, resident_id(), CheckPurpose.SUPERVISION)

    @pytest.mark.parametrize("ref", ["", "   ", "x" * 201, "AUTH\x00"])
    async def test_authorization_reference_is_required_and_bounded(self, tx: Runtime, ref: str) -> None:
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION)
        with pytest.raises(InvalidRequest, match="authorizationRef"):
            await check(tx, bank, resident_id(), ref=ref)
        assert await audit_rows(tx) == []

    async def test_a_bad_code_is_refused(self, tx: Runtime) -> None:
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION)
        with pytest.raises(InvalidRequest, match="code"):
            await check(tx, bank, "320402199005211230")


class TestAuditTrail:
    async def test_regulator_pages_newest_first_per_subject(self, tx: Runtime) -> None:
        code = resident_id()
        subject_id = await add_person(tx, code)
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION, name="常州银行")
        for n in range(5):
            await check(tx, bank, code, ref=f"AUTH-{n}")
        with pytest.raises(NotFoundError):
            await check(tx, bank, resident_id(998))  # another (unknown) subject
        office = await viewer(tx, Role.REGULATOR)
        page = await checks.audit_log(tx, office, code, 3, None)
        assert page.total == 5 and page.has_next_page and subject_id
        assert [e.authorization_ref for e, _ in page.entries] == ["AUTH-4", "AUTH-3", "AUTH-2"]
        assert {name for _, name in page.entries} == {"常州银行"}
        rest = await checks.audit_log(tx, office, code, 3, page.entries[-1][0].id)
        assert [e.authorization_ref for e, _ in rest.entries] == ["AUTH-1", "AUTH-0"] and not rest.has_next_page
        assert (await checks.audit_log(tx, office, None, 100, None)).total == 6
        with pytest.raises(NotFoundError):
            await checks.audit_log(tx, office, resident_id(997), 10, None)
        with pytest.raises(NotAllowed):
            await checks.audit_log(tx, bank, None, 10, None)

    async def test_a_subject_reads_its_own_check_records_only(self, tx: Runtime) -> None:
        mine, other = resident_id(1), resident_id(2)
        my_id = await add_person(tx, mine)
        await add_person(tx, other)
        bank = await viewer(tx, Role.FINANCIAL_INSTITUTION, name="常州银行")
        await check(tx, bank, mine, CheckPurpose.GUARANTEE)
        await check(tx, bank, other)
        me = await viewer(tx, Role.SUBJECT, subject_id=my_id)
        page = await checks.check_records(tx, me, 10, None)
        assert page.total == 1
        [(entry, name)] = page.entries
        assert (entry.purpose, name) == (CheckPurpose.GUARANTEE, "常州银行")
        with pytest.raises(NotAllowed):
            await checks.check_records(tx, bank, 10, None)


class TestRecordTextOfPersons:
    async def test_person_identifiers_in_titles_and_content_are_stored_masked(self, tx: Runtime) -> None:
        code = resident_id()
        await add_person(tx, code, former=["李国"])
        title = f"关于将{PERSON}（曾用名李国）纳入失信被执行人名单的决定书"
        content = {"party": f"{PERSON}，身份证号{code}，电话{PHONE}，住{ADDRESS}", "amount": 5000}
        record_id = await add_record(
            tx, code, "DISHONEST_JUDGMENT_DEBTOR", dt.date(2025, 2, 20), "DJD-P1", title=title, content=content
        )
        async with tx.sessions() as session:
            row = await session.get(CreditRecord, record_id)
            assert row is not None
            stored = orjson.dumps([row.title, row.content]).decode()
            for secret in (PERSON, "李国", code, PHONE, ADDRESS):
                assert secret not in stored
            assert row.title == "关于将李**（曾用名李*）纳入失信被执行人名单的决定书"
            assert row.content == {
                "party": f"李**，身份证号{code[:4]}{'*' * 10}{code[-4:]}，电话139****5678，住江苏省常州市天宁区****",
                "amount": 5000,
            }
            subject = await session.scalar(select(Subject).where(Subject.code_index == tx.vault.blind_index(code)))
            assert subject is not None and subject.former_names == ["李*"]

    async def test_reimporting_the_same_line_changes_nothing(self, tx: Runtime) -> None:
        code = resident_id()
        await add_person(tx, code)
        title = f"关于将{PERSON}纳入失信被执行人名单的决定书"
        await add_record(tx, code, "DISHONEST_JUDGMENT_DEBTOR", dt.date(2025, 2, 20), "DJD-P2", title=title)
        await add_record(tx, code, "DISHONEST_JUDGMENT_DEBTOR", dt.date(2025, 2, 20), "DJD-P2", title=title)
        async with tx.sessions() as session:
            revision = await session.scalar(select(func.max(CreditRecord.revision)))
        assert revision == 1
