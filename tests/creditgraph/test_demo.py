"""The demo data generator (creditgraph.demo.generator): valid, unique, realistic and deterministic NDJSON lines."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import opencc
import pytest
from stdnum.cn import ric, uscc

from credit.enums import RecordCategory, Severity, SubjectKind
from credit.subjects.identifiers import normalize_code
from credit.subjects.regions import current_county_codes, region_names
from creditgraph.demo.generator import generate, write_ndjson

pytestmark = pytest.mark.unit

TODAY = date(2025, 6, 30)
SUBJECTS = 20_000
SUBJECT_KEYS = {"type", "kind", "code", "name", "formerNames", "regionCode", "legalRepresentative",
                "registeredOn", "address", "phone"}  # fmt: skip
RECORD_KEYS = {"type", "sourceId", "authority", "subjectCode", "category", "title", "decisionNumber", "decidedOn",
               "publishedOn", "severity", "listName", "validFrom", "validUntil", "content",
               "listingGround"}  # fmt: skip
_PROVINCES = "11121314152122233132333435363741424344454650515253546162636465"
PROVINCE_ABBR = dict(
    zip(re.findall("..", _PROVINCES), "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔滇藏陕甘青宁新", strict=True)
)

Line = dict[str, Any]


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    return list(generate(SUBJECTS, seed=7, today=TODAY))


@pytest.fixture(scope="module")
def subjects(lines: list[Line]) -> list[Line]:
    return [line for line in lines if line["type"] == "subject"]


@pytest.fixture(scope="module")
def records(lines: list[Line]) -> list[Line]:
    return [line for line in lines if line["type"] == "record"]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _gb11714_check(body: str) -> str:
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def test_subject_lines_first_in_contract_shape(lines: list[Line], subjects: list[Line]) -> None:
    assert len(subjects) == SUBJECTS
    assert all(line["type"] == "subject" for line in lines[:SUBJECTS])
    assert all(line["type"] == "record" for line in lines[SUBJECTS:])
    for line in lines:
        assert set(line) <= (SUBJECT_KEYS if line["type"] == "subject" else RECORD_KEYS)
        json.dumps(line)  # JSON-serialisable as is


def test_kind_mix(subjects: list[Line]) -> None:
    kinds = Counter(subject["kind"] for subject in subjects)
    assert set(kinds) == {kind.value for kind in SubjectKind}
    expected = {"LEGAL_PERSON": 0.80, "NATURAL_PERSON": 0.12, "GOVERNMENT_AGENCY": 0.03, "OTHER_ORGANIZATION": 0.05}
    for kind, share in expected.items():
        assert _share(kinds[kind], SUBJECTS) == pytest.approx(share, abs=0.015)


def test_codes_are_valid_and_unique(subjects: list[Line]) -> None:
    codes = [subject["code"] for subject in subjects]
    assert len(set(codes)) == len(codes)
    for subject in subjects:
        code = subject["code"]
        if subject["kind"] == SubjectKind.NATURAL_PERSON.value:
            assert ric.validate(code) == code
        else:
            assert uscc.validate(code) == code
            assert code[16] == _gb11714_check(code[8:16])  # the embedded organisation code is valid too
        assert normalize_code(SubjectKind(subject["kind"]), code) == code


def test_codes_carry_current_region_and_kind(subjects: list[Line]) -> None:
    current = set(current_county_codes())
    prefixes = {
        "LEGAL_PERSON": {"91", "92", "93"},
        "GOVERNMENT_AGENCY": {"11"},
        "OTHER_ORGANIZATION": {"12", "31", "51", "52", "53"},
    }
    for subject in subjects:
        code, region = subject["code"], subject["regionCode"]
        assert region in current
        if subject["kind"] == "NATURAL_PERSON":
            assert code[:6] == region
            assert date(1950, 1, 1) <= ric.get_birth_date(code) <= date(2004, 12, 31)
            assert subject["phone"] and subject["address"]
        else:
            assert code[:2] in prefixes[subject["kind"]]
            assert code[2:8] == region
            assert date(1995, 1, 1) <= date.fromisoformat(subject["registeredOn"]) <= date(TODAY.year - 1, 12, 31)
            assert subject["legalRepresentative"] and subject["address"]
    modern = [s for s in subjects if s["code"][:2] == "91" and s["registeredOn"] >= "2015-10-01"]
    assert modern and all(s["code"][8:10] == "MA" for s in modern)


def test_addresses_name_the_subjects_region(subjects: list[Line]) -> None:
    for subject in subjects:
        names = region_names(subject["regionCode"])
        assert names is not None
        assert subject["address"].startswith(names.full)


def test_organisation_names_are_distinct(subjects: list[Line]) -> None:
    names = [s["name"] for s in subjects if s["kind"] != "NATURAL_PERSON"]
    former = [name for s in subjects for name in s.get("formerNames", [])]
    assert len(set(names)) == len(names)
    assert len(set(names + former)) == len(names) + len(former)
    t2s = opencc.OpenCC("t2s")
    simplified = [t2s.convert(name) for name in names]
    assert len(set(simplified)) == len(simplified)  # also distinct once traditional forms are folded
    companies = [t2s.convert(s["name"]) for s in subjects if s["code"][:2] == "91"]
    assert all(re.search(r"(公司|合伙企业（有限合伙）)$", name) for name in companies)


def test_some_company_names_are_traditional(subjects: list[Line]) -> None:
    t2s = opencc.OpenCC("t2s")
    companies = [s["name"] for s in subjects if s["kind"] == "LEGAL_PERSON"]
    traditional = [name for name in companies if t2s.convert(name) != name]
    assert _share(len(traditional), len(companies)) == pytest.approx(0.05, abs=0.015)
    assert any("有限公司" in name for name in traditional)


def test_some_companies_have_former_names(subjects: list[Line]) -> None:
    companies = [s for s in subjects if s["code"][:2] == "91"]
    renamed = [s for s in companies if s.get("formerNames")]
    assert _share(len(renamed), len(companies)) == pytest.approx(0.10, abs=0.03)
    assert any(len(s["formerNames"]) == 2 for s in renamed)
    assert any(name.endswith("厂") for s in renamed for name in s["formerNames"])
    for subject in renamed:
        assert subject["name"] not in subject["formerNames"]
    assert not any("formerNames" in s for s in subjects if s["code"][:2] != "91")


def test_records_refer_to_subjects_and_cover_every_category(subjects: list[Line], records: list[Line]) -> None:
    codes = {subject["code"] for subject in subjects}
    assert all(record["subjectCode"] in codes for record in records)
    categories = Counter(record["category"] for record in records)
    assert set(categories) == {category.value for category in RecordCategory}
    assert categories.most_common(1)[0][0] == "ADMINISTRATIVE_LICENSE"
    assert len(records) / SUBJECTS == pytest.approx(1.5, abs=0.15)
    without = SUBJECTS - len({record["subjectCode"] for record in records})
    assert _share(without, SUBJECTS) == pytest.approx(0.30, abs=0.03)


def test_natural_persons_get_mostly_dishonest_debtor_records(subjects: list[Line], records: list[Line]) -> None:
    persons = {s["code"] for s in subjects if s["kind"] == "NATURAL_PERSON"}
    categories = Counter(r["category"] for r in records if r["subjectCode"] in persons)
    assert categories.most_common(1)[0][0] == "DISHONEST_JUDGMENT_DEBTOR"
    assert set(categories) <= {"DISHONEST_JUDGMENT_DEBTOR", "ADMINISTRATIVE_PENALTY", "ADMINISTRATIVE_LICENSE"}


def test_record_dates(records: list[Line]) -> None:
    for record in records:
        decided, published = date.fromisoformat(record["decidedOn"]), date.fromisoformat(record["publishedOn"])
        assert TODAY - timedelta(days=5 * 366) <= decided < TODAY
        assert decided < published <= min(TODAY, decided + timedelta(days=7))
        if "validUntil" in record:
            assert date.fromisoformat(record["validUntil"]) > date.fromisoformat(record.get("validFrom", "1900-01-01"))


def test_records_identified_by_authority_and_source_id(records: list[Line]) -> None:
    keys = [(record["authority"], record["sourceId"]) for record in records]
    assert len(set(keys)) == len(keys)
    numbered = [(r["authority"], r["decisionNumber"]) for r in records if "decisionNumber" in r]
    assert len(set(numbered)) == len(numbered)


def test_authorities_are_from_the_subjects_region(subjects: list[Line], records: list[Line]) -> None:
    regions = {subject["code"]: region_names(subject["regionCode"]) for subject in subjects}
    for record in records:
        names = regions[record["subjectCode"]]
        assert names is not None
        assert any(name and name in record["authority"] for name in (names.province, names.city, names.county))


def test_penalties(records: list[Line]) -> None:
    penalties = [r for r in records if r["category"] == "ADMINISTRATIVE_PENALTY"]
    assert {r["severity"] for r in penalties} == {severity.value for severity in Severity}
    domains = Counter(r["content"]["domain"] for r in penalties)
    assert {"FOOD", "DRUG", "SPECIAL_EQUIPMENT", "WORK_SAFETY", "FIRE_SAFETY", "ENVIRONMENT", "MARKET", "TAX"} <= set(
        domains
    )
    for record in penalties:
        content = record["content"]
        assert isinstance(content["fine"], int) and content["fine"] >= 0
        assert re.fullmatch(r"《[^》]+》第[一二三四五六七八九十百零]+条", content["basis"])
        assert record["title"].startswith("关于") and record["title"].endswith("的行政处罚决定")
        match = re.fullmatch(r"\w+罚\w*〔(\d{4})〕(\d+)号", record["decisionNumber"])
        assert match and match.group(1) == record["decidedOn"][:4]
    # authorities' own styles: 常环罚〔2024〕12号, 天市监处罚〔2023〕88号, 苏税稽罚〔2025〕5号
    numbers = [r["decisionNumber"] for r in penalties]
    for style in (r".环罚〔\d{4}〕\d+号", r".市监处罚〔\d{4}〕\d+号", r".税稽罚〔\d{4}〕\d+号"):
        assert any(re.fullmatch(style, number) for number in numbers), style


def test_dishonest_judgment_debtors(subjects: list[Line], records: list[Line]) -> None:
    region_of = {subject["code"]: subject["regionCode"] for subject in subjects}
    debtors = [r for r in records if r["category"] == "DISHONEST_JUDGMENT_DEBTOR"]
    assert any("中级人民法院" in r["authority"] for r in debtors)
    for record in debtors:
        assert record["authority"].endswith("人民法院")
        match = re.fullmatch(r"\((\d{4})\)(.)(\d{2}|\d{4})执(\d+)号", record["decisionNumber"])
        assert match, record["decisionNumber"]
        region = region_of[record["subjectCode"]]
        assert match.group(1) == record["decidedOn"][:4]
        assert match.group(2) == PROVINCE_ABBR[region[:2]]
        # 法释〔2017〕7号 第二条: 第一项 has no term, the others two years (or three, extended).
        assert record["listingGround"] in (1, 4, 5)
        assert (record["listingGround"] == 1) == ("validUntil" not in record)
        if "validUntil" in record:
            decided, until = date.fromisoformat(record["decidedOn"]), date.fromisoformat(record["validUntil"])
            assert 2 * 365 <= (until - decided).days <= 3 * 366
    assert {r["listingGround"] for r in debtors} == {1, 4, 5}


def test_lists_and_evaluations(records: list[Line]) -> None:
    red = {r["listName"] for r in records if r["category"] == "RED_LIST"}
    black = {r["listName"] for r in records if r["category"] == "BLACK_LIST"}
    assert {"守合同重信用企业", "A级纳税人", "诚信典型"} <= red
    assert {"严重违法失信企业名单", "重大税收违法失信主体", "拖欠农民工工资失信联合惩戒对象名单"} <= black
    evaluations = [r for r in records if r["category"] == "CREDIT_EVALUATION"]
    assert {r["content"]["grade"] for r in evaluations} == set("ABCD")
    for record in evaluations:
        if record["authority"].startswith("国家税务总局"):
            assert record["listName"] == f"纳税信用{record['content']['grade']}级"
    commitments = [r for r in records if r["category"] == "CREDIT_COMMITMENT"]
    assert commitments and all(r["content"]["type"] for r in commitments)


def test_deterministic_for_a_seed() -> None:
    first = list(generate(300, seed=3, today=TODAY))
    assert first == list(generate(300, seed=3, today=TODAY))
    assert first != list(generate(300, seed=4, today=TODAY))
    # a longer run starts with the same subjects
    assert list(generate(400, seed=3, today=TODAY))[:300] == first[:300]


def test_write_ndjson(tmp_path: Path) -> None:
    path = tmp_path / "demo.ndjson"
    count = write_ndjson(path, subjects=50, seed=1, today=TODAY)
    text = path.read_text(encoding="utf-8").splitlines()
    assert len(text) == count > 50
    assert [json.loads(line) for line in text] == list(generate(50, seed=1, today=TODAY))
    buffer = io.StringIO()
    assert write_ndjson(buffer, subjects=50, seed=1, today=TODAY) == count
    assert buffer.getvalue() == path.read_text(encoding="utf-8")
    assert "\\u" not in buffer.getvalue()  # UTF-8, not ASCII escapes
