"""Deterministic demo data in the NDJSON import format of CONTRACT.md.

``generate`` yields every ``{"type":"subject",…}`` line first, then the ``{"type":"record",…}`` lines.
Codes are valid (python-stdnum) and unique, built on current division codes (credit.subjects.regions);
organisation names are composed from region, trade name (字号), industry and company form, so a
hundred thousand of them stay distinct. Everything random comes from one ``random.Random(seed)`` and
a seeded Faker, so (subjects, seed, today) always give the same lines.

The vocabularies (words, text tables, weights, the names of places) come from creditgraph.demo.vocabulary,
whose data is vocabulary.toml; this module holds only the logic that draws from them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import accumulate
from os import PathLike
from typing import IO, Any

import opencc
from faker import Faker
from stdnum.cn import ric, uscc

from credit.enums import RecordCategory, Severity, SubjectKind
from credit.subjects.regions import county_periods, current_county_codes
from creditgraph.demo import vocabulary as vocab

__all__ = ["generate", "org_code", "trade_names", "write_ndjson"]

RC = RecordCategory
_K = SubjectKind

_CATS = list(RC)
_FORM_CUM = list(accumulate(vocab.FORM_WEIGHTS))
_CAT_CUM = {kind: list(accumulate(weights)) for kind, weights in vocab.CATEGORY_WEIGHTS.items()}
_COUNT_CUM = {kind: list(accumulate(weights)) for kind, weights in vocab.COUNT_WEIGHTS.items()}
_SURNAME_CUM = list(accumulate(vocab.SURNAME_WEIGHTS))
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True, slots=True)
class _Auth:
    name: str
    abbr: str  # how its document numbers begin: 常 / 天 / 苏
    prefix: str  # sourceId prefix, unique per authority
    court: str = ""  # court code in case numbers: 苏04 / 苏0402


@dataclass(slots=True)
class _Subject:
    kind: SubjectKind
    code: str
    name: str
    place: vocab.Place
    sector: str
    registered: date | None
    trade: str = ""  # the 字号 of a company's name, and what follows it up to the form: 星辰 / 智能科技
    industry: str = ""


def org_code(body: str) -> str:
    """GB 11714 organisation code: 8 characters and their check character."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@cache
def _converter() -> Any:
    return opencc.OpenCC("s2t")


class _Generator:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        codes = [c for c in current_county_codes() if c[:2] in vocab.PROVINCE_ABBR]
        per_province: dict[str, int] = {}
        for c in codes:
            per_province[c[:2]] = per_province.get(c[:2], 0) + 1

        def weight(c: str) -> float:
            return vocab.PROVINCE_WEIGHT.get(c[:2], 1) / per_province[c[:2]]

        self.codes, self.cum = codes, list(accumulate(map(weight, codes)))
        # a resident ID number must carry a code that existed in its holder's birth year
        self.since = {c: max(1950, county_periods(c)[-1].start or 1950) for c in codes}
        self.person_codes = [c for c in codes if self.since[c] <= 1995]
        self.person_cum = list(accumulate(map(weight, self.person_codes)))
        self.names: set[str] = set()
        self.codes_used: set[str] = set()
        self.auths: dict[tuple[str, str, str], _Auth] = {}
        self.counters: dict[tuple[str, str, int], int] = {}
        self.reg_span = (date(1995, 1, 1).toordinal(), date(today.year - 1, 12, 31).toordinal())

    # -- helpers ---------------------------------------------------------------------------------
    def pick(self, seq: Sequence[str], cum_weights: Sequence[float]) -> str:
        return self.rng.choices(seq, cum_weights=cum_weights)[0]

    def surname(self) -> str:
        return self.rng.choices(vocab.SURNAMES, cum_weights=_SURNAME_CUM)[0]

    def person_name(self, male: bool | None = None) -> str:
        rng = self.rng
        sex = int(rng.random() < 0.55) if male is None else int(male)
        given = rng.choice(vocab.GIVEN_NAMES[sex])
        if len(given) == 1 and rng.random() < 0.5:
            given += rng.choice(vocab.GIVEN_NAMES_1[sex])
        return self.surname() + given

    def place(self, person: bool = False) -> vocab.Place:
        if person:
            return vocab.place(self.rng.choices(self.person_codes, cum_weights=self.person_cum)[0])
        return vocab.place(self.rng.choices(self.codes, cum_weights=self.cum)[0])

    def address(self, p: vocab.Place) -> str:
        rng = self.rng
        r = rng.random()
        tail = (
            ""
            if r < 0.5
            else f"{rng.randint(1, 12)}楼"
            if r < 0.7
            else f"{rng.randint(1, 30)}幢{rng.randint(1, 28)}{rng.randint(1, 20):02d}室"
        )
        return f"{p.full}{rng.choice(vocab.STREETS)}{rng.randint(1, 999)}号{tail}"

    def unique(self, name: str) -> bool:
        if name in self.names:
            return False
        self.names.add(name)
        return True

    def uscc(self, dept: str, p: vocab.Place, registered: date, modern: bool) -> str:
        """A USCC: registration department and type, region, organisation code, check character.
        Businesses registered since October 2015 have organisation codes beginning with MA."""
        rng = self.rng
        while True:
            if modern and registered >= date(2015, 10, 1):
                body = "MA" + "".join(rng.choices(_USCC_ALPHABET, k=6))
            else:
                body = str(rng.randint(10_000_000, 79_999_999))
            code17 = dept + p.code + org_code(body)
            code = code17 + uscc.calc_check_digit(code17)
            if code not in self.codes_used:
                self.codes_used.add(code)
                return code

    def registered(self) -> date:
        return date.fromordinal(self.rng.randint(*self.reg_span))

    # -- subjects --------------------------------------------------------------------------------
    def subject(self) -> tuple[_Subject, dict[str, Any]]:
        r = self.rng.random()
        if r < 0.80:
            return self.company()
        if r < 0.92:
            return self.person()
        return self.organisation(agency=r < 0.95)

    def company(self) -> tuple[_Subject, dict[str, Any]]:
        rng = self.rng
        form = self.pick(vocab.FORMS, _FORM_CUM)
        industry = ""
        while True:
            p, trade = self.place(), rng.choice(vocab.TRADES)
            if form == "个体":  # 个体工商户: 常州市天宁区张记面馆
                shop, sector = rng.choice(vocab.SHOPS)
                trade = self.surname() + "记" if rng.random() < 0.4 else trade
                name, dept, industry = f"{p.local}{trade}{shop}", "92", shop
            elif form == "合作社":  # 农民专业合作社
                industry = rng.choice(vocab.CROPS)
                name, dept, sector = f"{p.county or p.city}{trade}{industry}专业合作社", "93", "agri"
            else:
                industry, sector = rng.choice(vocab.INDUSTRIES)
                if form.startswith("合伙"):
                    industry, sector = rng.choice(vocab.FUND_INDUSTRIES), "finance"
                name, dept = self.company_name(p, trade, industry, form), "91"
            if self.unique(name):
                break
        registered = self.registered()
        former: list[str] = []
        if dept == "91" and rng.random() < 0.10:
            for _ in range(rng.choice((1, 1, 2))):
                old = self.former_name(p, name, trade, industry, sector, form)
                if old and self.unique(old):
                    former.append(old)
        if rng.random() < 0.05:
            traditional = _converter().convert(name)
            if self.unique(traditional):
                name = traditional
        code = self.uscc(dept, p, registered, modern=True)
        line: dict[str, Any] = {"type": "subject", "kind": _K.LEGAL_PERSON.value, "code": code, "name": name}
        if former:
            line["formerNames"] = former
        line |= {"regionCode": p.code, "legalRepresentative": self.person_name()}
        line |= {"registeredOn": registered.isoformat(), "address": self.address(p)}
        return _Subject(_K.LEGAL_PERSON, code, name, p, sector, registered, trade, industry), line

    def company_name(self, p: vocab.Place, trade: str, industry: str, form: str) -> str:
        r = self.rng.random()
        if form in ("股份有限公司", "集团有限公司") and r < 0.5:
            r = 0.8 + r * 0.4  # larger companies carry a city or province name
        if r < 0.08:
            return f"{trade}{industry}（{p.city_short}）{form}"
        if r < 0.28:
            region = p.county_short or p.city_short
        elif r < 0.78:
            region = p.city_short
        else:
            region = p.city if r < 0.88 else p.prov_short
        return f"{region}{trade}{industry}{form}"

    def former_name(self, p: vocab.Place, name: str, trade: str, industry: str, sector: str, form: str) -> str | None:
        rng = self.rng
        r = rng.random()
        if r < 0.3 and sector in vocab.OLD_FORMS:
            return f"{p.city}{trade}{vocab.OLD_FORMS[sector]}"  # 常州市华信机械厂
        if r < 0.45:
            return f"{p.city_short}{trade}{industry}公司"
        if r < 0.75:
            return self.company_name(p, rng.choice(vocab.TRADES), industry, form)
        if r < 0.9:
            return self.company_name(p, trade, rng.choice(vocab.INDUSTRIES)[0], form)
        swapped = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}.get(form)
        return name.replace(form, swapped) if swapped and name.endswith(form) else None

    def person(self) -> tuple[_Subject, dict[str, Any]]:
        rng = self.rng
        while True:
            p = self.place(person=True)
            first, last = date(self.since[p.code], 1, 1).toordinal(), date(2004, 12, 31).toordinal()
            birth = date.fromordinal(rng.randint(first, last))
            male = rng.random() < 0.52
            body = f"{p.code}{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + int(male):03d}"  # odd: male
            code = body + ric.calc_check_digit(body + "0")
            if code not in self.codes_used:
                self.codes_used.add(code)
                break
        name = self.person_name(male)
        line = {"type": "subject", "kind": _K.NATURAL_PERSON.value, "code": code, "name": name}
        line |= {"regionCode": p.code, "phone": self.fake.phone_number(), "address": self.address(p)}
        return _Subject(_K.NATURAL_PERSON, code, name, p, "person", None), line

    def organisation(self, agency: bool) -> tuple[_Subject, dict[str, Any]]:
        rng = self.rng
        kind = _K.GOVERNMENT_AGENCY if agency else _K.OTHER_ORGANIZATION
        for attempt in range(10_000):
            p, trade = self.place(), rng.choice(vocab.TRADES)
            level = "county" if p.county and rng.random() < 0.6 else "city"
            if agency:  # 机关: USCC 11…
                bureau, sector, dept = rng.choice(vocab.AGENCIES), "gov", "11"
                if bureau in vocab.BUREAUS:
                    name = self.authority(p, bureau, level).name
                else:
                    name = f"{p.local if level == 'county' else p.city}{bureau}"
            else:
                name, dept, sector = self.org_name(p, trade, level, attempt)
            if self.unique(name):
                break
        registered = self.registered()
        code = self.uscc(dept, p, registered, modern=False)
        line = {"type": "subject", "kind": kind.value, "code": code, "name": name, "regionCode": p.code}
        line |= {"legalRepresentative": self.person_name(), "registeredOn": registered.isoformat()}
        line |= {"address": self.address(p)}
        return _Subject(kind, code, name, p, sector, registered), line

    def org_name(self, p: vocab.Place, trade: str, level: str, attempt: int) -> tuple[str, str, str]:
        """Name, USCC department and type, sector of a social organisation or public institution."""
        rng = self.rng
        where = p.local if level == "county" else p.city
        r = rng.random()
        if r < 0.30:  # 社会团体
            kind = rng.choice(("协会", "协会", "商会", "学会"))
            return f"{where}{rng.choice(vocab.ASSOCIATIONS)}{kind}", "51", "social"
        if r < 0.60:  # 民办非企业单位 / 社会服务机构
            institution, sector = rng.choice(vocab.PRIVATE_INSTITUTIONS)
            return f"{where}{trade}{institution}", "52", sector
        if r < 0.85:  # 事业单位
            institution, sector = rng.choice(vocab.PUBLIC_INSTITUTIONS)
            n = vocab.CN_NUMBERS[rng.randrange(10)] if attempt < 20 else str(attempt)
            return f"{where}{institution.format(n=n, trade=trade)}", "12", sector
        if r < 0.92:  # 基金会
            return f"{p.city_short}{trade}{rng.choice(vocab.CAUSES)}基金会", "53", "social"
        return f"{p.prov_short}{trade}律师事务所", "31", "social"  # 司法行政: 律师事务所

    # -- authorities -----------------------------------------------------------------------------
    def authority(self, p: vocab.Place, bureau: str, level: str) -> _Auth:
        """常州市生态环境局 / 常州市天宁区市场监督管理局 / 国家税务总局江苏省税务局 …"""
        if bureau == "telecom":
            level = "province"
        if level == "county" and not p.county:
            level = "city"
        if level == "city" and not p.prefecture:
            level = "county"
        key = (p.code, bureau, level)
        found = self.auths.get(key)
        if found is None:
            local, provincial, _penalty, _licence, tag = vocab.BUREAUS[bureau]
            if level == "province" or (p.municipal and level == "city"):
                where, abbr, region = p.province, p.abbr, p.code[:2] + "0000"
                suffix = local if p.municipal and bureau != "fire" else provincial
            elif level == "city":
                where, abbr, region, suffix = p.city, p.city_short[0], p.code[:4] + "00", local
            else:
                where, abbr, region = p.local, (p.county_short or p.city_short)[0], p.code
                suffix = "消防救援大队" if bureau == "fire" else local
            name = f"国家税务总局{where}税务局" if bureau == "tax" else f"{where}{suffix}"
            found = self.auths[key] = _Auth(name, abbr, f"{region}{tag}")
        return found

    def court(self, p: vocab.Place) -> _Auth:
        """常州市中级人民法院 (苏04) or 常州市天宁区人民法院 (苏0402)."""
        intermediate = p.prefecture and self.rng.random() < 0.3
        key = (p.code, "court", "city" if intermediate else "county")
        found = self.auths.get(key)
        if found is None:
            if intermediate:
                name = f"{p.province}第一中级人民法院" if p.municipal else f"{p.city}中级人民法院"
                court, region = p.abbr + ("01" if p.municipal else p.code[2:4]), p.code[:4] + "00"
            else:
                name = f"{p.local}人民法院" if p.county else f"{p.city}第一人民法院"
                court, region = p.abbr + (p.code[2:6] if p.county else p.code[2:4] + "71"), p.code
            found = self.auths[key] = _Auth(name, court, f"{region}FY", court)
        return found

    def next_number(self, key: tuple[str, str, int], start: int, step: int) -> int:
        n = self.counters.get(key)
        n = self.rng.randint(1, start) if n is None else n + self.rng.randint(1, step)
        self.counters[key] = n
        return n

    def doc(self, auth: _Auth, kind: str, year: int) -> str:
        return f"{auth.abbr}{kind}〔{year}〕{self.next_number((auth.name, kind, year), 30, 6)}号"

    # -- records ---------------------------------------------------------------------------------
    def records(self, s: _Subject) -> Iterator[dict[str, Any]]:
        rng = self.rng
        if rng.random() < vocab.NONE_P[s.kind]:
            return
        weights = _COUNT_CUM[s.kind]
        categories = _CAT_CUM[s.kind]
        for _ in range(rng.choices(range(1, len(weights) + 1), cum_weights=weights)[0]):
            yield self.record(s, rng.choices(_CATS, cum_weights=categories)[0])

    def record(self, s: _Subject, cat: RecordCategory) -> dict[str, Any]:
        rng, today = self.rng, self.today.toordinal()
        low = max(today - 5 * 365, s.registered.toordinal() + 1 if s.registered else 0)
        decided = date.fromordinal(rng.randint(min(low, today - 1), today - 1))
        year, p, name = decided.year, s.place, s.name
        doc: str | None = None
        extra: dict[str, Any] = {"validFrom": decided}
        if cat is RC.ADMINISTRATIVE_LICENSE:
            licence = rng.choice(vocab.SECTORS[s.sector][0])
            bureau, level, prefix, years = vocab.LICENSES[licence]
            auth = self.authority(p, bureau, level)
            action = self.pick(("新办", "延续", "变更"), (6, 8, 10))
            doc = self.doc(auth, vocab.BUREAUS[bureau][3], year)
            title = f"{name}{licence}（{action}）"
            content: dict[str, Any] = {"licenseName": licence, "action": action}
            if prefix:
                content["licenseNumber"] = f"{prefix}{p.code}{year}{rng.randint(0, 99999):05d}"
            extra |= {"validUntil": _add_years(decided, years) if years else None, "content": content}
        elif cat is RC.ADMINISTRATIVE_PENALTY:
            if s.kind is _K.NATURAL_PERSON:
                key = rng.choice(vocab.PERSON_DOMAINS)
                domain = key.removeprefix("PERSON_")
            else:
                key = domain = rng.choice(vocab.SECTORS[s.sector][1])
            fact, basis = rng.choice(vocab.FACTS[key])
            bureau, level = vocab.DOMAINS[domain]
            auth = self.authority(p, bureau, level)
            severity = Severity(self.pick(list(Severity), (45, 85, 100)))
            kind = "罚款"
            if severity is Severity.MINOR:
                fine = rng.randint(5, 100) * 100
                if rng.random() < 0.2:
                    kind, fine = "警告", 0
            elif severity is Severity.GENERAL:
                fine = rng.randint(10, 100) * 1000
            else:
                fine = rng.randint(10, 200) * 10000
                kind = rng.choice(("罚款", "罚款；没收违法所得", "罚款；责令停产停业"))
            doc = self.doc(auth, vocab.BUREAUS[bureau][2], year)
            title = f"关于{name}{fact}的行政处罚决定"
            content = {"domain": domain, "fine": fine, "basis": basis, "fact": fact, "penaltyType": kind}
            extra = {"severity": severity.value, "content": content}
        elif cat in (RC.RED_LIST, RC.BLACK_LIST):
            list_name = rng.choice(vocab.RED_LISTS if cat is RC.RED_LIST else vocab.BLACK_LISTS)
            bureau, level, kind, years, basis = vocab.LISTS[list_name]
            auth = self.authority(p, bureau, level)
            doc = self.doc(auth, kind, year) if kind else None
            if cat is RC.RED_LIST:
                title = f"{name}被认定为{year - 1}年度“{list_name}”"
            else:
                title = f"关于将{name}列入{list_name}的决定"
            extra |= {"listName": list_name, "validUntil": _add_years(decided, years)}
            extra |= {"content": {"basis": basis}} if basis else {}
        elif cat is RC.DISHONEST_JUDGMENT_DEBTOR:
            auth = self.court(p)
            doc = f"({year}){auth.court}执{self.next_number((auth.name, '执', year), 2000, 40)}号"
            title = f"关于将{name}纳入失信被执行人名单的决定书"
            content = {
                "amount": rng.randint(50, 5000) * (100 if s.kind is _K.NATURAL_PERSON else 1000),
                "basisDocument": f"({year - 1}){auth.court}民初{rng.randint(100, 9999)}号",
                "performance": rng.choice(("全部未履行", "全部未履行", "部分未履行")),
                "behavior": rng.choice(
                    ("有履行能力而拒不履行生效法律文书确定义务", "违反财产报告制度", "违反限制消费令")
                ),
            }
            extra |= {"listName": "失信被执行人名单", "validUntil": _add_years(decided, rng.choice((2, 3)))}
            extra |= {"content": content}
        elif cat is RC.CREDIT_COMMITMENT:
            kind, bureau, level = rng.choice(vocab.COMMITMENTS)
            auth = self.authority(p, bureau, level)
            matter = rng.choice([*vocab.SECTORS[s.sector][0], "参与政府采购活动", "申请财政资金支持"])
            title = f"{name}信用承诺书（{kind}）"
            extra |= {"validUntil": _add_years(decided, 1), "content": {"type": kind, "matter": matter}}
        else:
            grade = self.pick("ABCD", (35, 75, 90, 100))
            if s.sector in ("mfg", "chem", "env") and rng.random() < 0.5:
                auth, list_name = self.authority(p, "env", "city"), vocab.ENV_GRADES[grade]
                title = f"{name}{year - 1}年度企业环境信用评价结果"
            else:
                auth, list_name = self.authority(p, "tax", "city"), f"纳税信用{grade}级"
                title = f"{name}{year - 1}年度纳税信用评价结果"
            extra |= {"listName": list_name, "validUntil": _add_years(decided, 1)}  # until the next one
            extra |= {"content": {"grade": grade, "year": year - 1}}
        published = date.fromordinal(min(today, decided.toordinal() + rng.randint(1, 7)))
        tag = vocab.CATEGORY_TAGS[cat]
        n = self.next_number((auth.name, tag, year), 1, 1)
        line: dict[str, Any] = {"type": "record", "sourceId": f"{auth.prefix}-{tag}-{year}-{n:05d}"}
        line |= {"authority": auth.name, "subjectCode": s.code, "category": cat.value, "title": title}
        if doc:
            line["decisionNumber"] = doc
        line |= {"decidedOn": decided.isoformat(), "publishedOn": published.isoformat()}
        for key, value in extra.items():
            if value is not None:
                line[key] = value.isoformat() if isinstance(value, date) else value
        return line


def generate(subjects: int = 20000, seed: int = 7, today: date | None = None) -> Iterator[dict[str, Any]]:
    """Yield NDJSON line objects: ``subjects`` subject lines, then the records of those subjects.

    Deterministic for (subjects, seed, today). ``today`` (default: the current date) bounds every
    date: registrations fall between 1995 and the end of last year, decisions within the last five
    years, publications 1–7 days after the decision and never after ``today``.
    """
    gen = _Generator(seed, today or date.today())
    made: list[_Subject] = []
    for _ in range(subjects):
        subject, line = gen.subject()
        made.append(subject)
        yield line
    for subject in made:
        yield from gen.records(subject)


def trade_names(subjects: int = 20000, seed: int = 7, today: date | None = None) -> dict[str, tuple[str, str]]:
    """The parts of the companies' names that ``generate`` composes, by code: (字号, industry), e.g.
    ``("星辰", "智能科技")`` for 常州星辰智能科技有限公司 (the shop or crop for 个体工商户 and 合作社).

    Ground truth for benchmarks of search by trade name (bench.search_quality): the same draws as
    ``generate`` with the same arguments, so the codes match its lines."""
    gen = _Generator(seed, today or date.today())
    parts: dict[str, tuple[str, str]] = {}
    for _ in range(subjects):
        subject, _line = gen.subject()
        if subject.trade:
            parts[subject.code] = (subject.trade, subject.industry)
    return parts


def write_ndjson(
    path_or_file: str | PathLike[str] | IO[str], subjects: int = 20000, seed: int = 7, today: date | None = None
) -> int:
    """Write ``generate(subjects, seed, today)`` as UTF-8 NDJSON to a path or text file; returns the
    number of lines written."""
    if isinstance(path_or_file, str | PathLike):
        with open(path_or_file, "w", encoding="utf-8") as fh:
            return write_ndjson(fh, subjects, seed, today)
    count = 0
    for line in generate(subjects, seed, today):
        path_or_file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count
