"""The demo's records (the NDJSON `record` lines) and the bodies that make them: authorities named as
the real ones are (常州市生态环境局, 国家税务总局江苏省税务局), courts with their case-number codes, and
document numbers that count up per body, kind and year.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import Any

from credit.enums import RecordCategory, Severity, SubjectKind
from credit.rules.vocabulary import PenaltyType
from creditgraph.demo import vocabulary as vocab

RC = RecordCategory
_K = SubjectKind

_CATS = list(RC)
_CAT_CUM = {kind: list(accumulate(weights)) for kind, weights in vocab.CATEGORY_WEIGHTS.items()}
_COUNT_CUM = {kind: list(accumulate(weights)) for kind, weights in vocab.COUNT_WEIGHTS.items()}
# The penalty kinds the generator writes, as `content.penaltyTypes` codes (《行政处罚法》第九条).
_PENALTY_TYPES = {
    "罚款": PenaltyType.FINE.value,
    "警告": PenaltyType.WARNING.value,
    "没收违法所得": PenaltyType.CONFISCATION_OF_ILLEGAL_GAINS.value,
    "责令停产停业": PenaltyType.PRODUCTION_SUSPENSION.value,
}


@dataclass(frozen=True, slots=True)
class Authority:
    name: str
    abbr: str  # how its document numbers begin: 常 / 天 / 苏
    prefix: str  # sourceId prefix, unique per authority
    court: str = ""  # court code in case numbers: 苏04 / 苏0402


@dataclass(slots=True)
class Subject:
    kind: SubjectKind
    code: str
    name: str
    place: vocab.Place
    sector: str
    registered: date | None
    trade: str = ""  # the 字号 of a company's name, and what follows it up to the form: 星辰 / 智能科技
    industry: str = ""


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class RecordMaker:
    """The records of the demo subjects, and the authorities and courts that make them."""

    rng: random.Random
    today: date
    auths: dict[tuple[str, str, str], Authority]
    counters: dict[tuple[str, str, int], int]

    # -- helpers ---------------------------------------------------------------------------------
    def pick(self, seq: Sequence[str], cum_weights: Sequence[float]) -> str:
        return self.rng.choices(seq, cum_weights=cum_weights)[0]

    # -- authorities -----------------------------------------------------------------------------
    def authority(self, p: vocab.Place, bureau: str, level: str) -> Authority:
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
            found = self.auths[key] = Authority(name, abbr, f"{region}{tag}")
        return found

    def court(self, p: vocab.Place) -> Authority:
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
            found = self.auths[key] = Authority(name, court, f"{region}FY", court)
        return found

    def next_number(self, key: tuple[str, str, int], start: int, step: int) -> int:
        n = self.counters.get(key)
        n = self.rng.randint(1, start) if n is None else n + self.rng.randint(1, step)
        self.counters[key] = n
        return n

    def doc(self, auth: Authority, kind: str, year: int) -> str:
        return f"{auth.abbr}{kind}〔{year}〕{self.next_number((auth.name, kind, year), 30, 6)}号"

    # -- records ---------------------------------------------------------------------------------
    def records(self, s: Subject) -> Iterator[dict[str, Any]]:
        rng = self.rng
        if rng.random() < vocab.NONE_P[s.kind]:
            return
        weights = _COUNT_CUM[s.kind]
        categories = _CAT_CUM[s.kind]
        for _ in range(rng.choices(range(1, len(weights) + 1), cum_weights=weights)[0]):
            yield self.record(s, rng.choices(_CATS, cum_weights=categories)[0])

    def record(self, s: Subject, cat: RecordCategory) -> dict[str, Any]:
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
            types = [_PENALTY_TYPES[part] for part in kind.split("；")]
            content = {"domain": domain, "fine": fine, "basis": basis, "fact": fact, "penaltyTypes": types}
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
            # 法释〔2017〕7号: the ground is 第一条's item; 第一项 has no term, the others two years (or,
            # extended, three).
            ground = {"有履行能力而拒不履行生效法律文书确定义务": 1, "违反财产报告制度": 4, "违反限制消费令": 5}
            term = rng.choice((2, 3))
            listing = ground[content["behavior"]]
            extra |= {"listName": "失信被执行人名单", "listingGround": listing}
            extra |= {"validUntil": _add_years(decided, term)} if listing != 1 else {}
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
