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
from collections.abc import Iterator
from datetime import date
from functools import cache
from itertools import accumulate
from os import PathLike
from typing import IO, Any

import opencc
from faker import Faker
from stdnum.cn import ric, uscc

from credit import clock
from credit.enums import RecordCategory, SubjectKind
from credit.subjects.regions import county_periods, current_county_codes
from creditgraph.demo import vocabulary as vocab
from creditgraph.demo.records import Authority, RecordMaker, Subject

__all__ = ["generate", "org_code", "trade_names", "write_ndjson"]

RC = RecordCategory
_K = SubjectKind

_FORM_CUM = list(accumulate(vocab.FORM_WEIGHTS))
_SURNAME_CUM = list(accumulate(vocab.SURNAME_WEIGHTS))
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code(body: str) -> str:
    """GB 11714 organisation code: 8 characters and their check character."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


@cache
def _converter() -> Any:
    return opencc.OpenCC("s2t")


class _Generator(RecordMaker):
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
        self.auths: dict[tuple[str, str, str], Authority] = {}
        self.counters: dict[tuple[str, str, int], int] = {}
        self.reg_span = (date(1995, 1, 1).toordinal(), date(today.year - 1, 12, 31).toordinal())

    # -- helpers ---------------------------------------------------------------------------------
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
    def subject(self) -> tuple[Subject, dict[str, Any]]:
        r = self.rng.random()
        if r < 0.80:
            return self.company()
        if r < 0.92:
            return self.person()
        return self.organisation(agency=r < 0.95)

    def company(self) -> tuple[Subject, dict[str, Any]]:
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
        return Subject(_K.LEGAL_PERSON, code, name, p, sector, registered, trade, industry), line

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

    def person(self) -> tuple[Subject, dict[str, Any]]:
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
        return Subject(_K.NATURAL_PERSON, code, name, p, "person", None), line

    def organisation(self, agency: bool) -> tuple[Subject, dict[str, Any]]:
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
        return Subject(kind, code, name, p, sector, registered), line

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


def generate(subjects: int = 20000, seed: int = 7, today: date | None = None) -> Iterator[dict[str, Any]]:
    """Yield NDJSON line objects: ``subjects`` subject lines, then the records of those subjects.

    Deterministic for (subjects, seed, today). ``today`` (default: China's current date) bounds every
    date: registrations fall between 1995 and the end of last year, decisions within the last five
    years, publications 1–7 days after the decision and never after ``today``.
    """
    gen = _Generator(seed, today or clock.today())
    made: list[Subject] = []
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
    gen = _Generator(seed, today or clock.today())
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
