"""Hypothesis strategies of personal data as people write it: a person's name in simplified or
traditional characters, spaced or punctuated, in pinyin; resident ID numbers (18 and 15 digits, any
grouping, lower-case x, full-width); mobile and landline numbers in every usual form. Each drawn
value carries its `needles`: the canonical forms that must not be readable in any answer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import opencc
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric

SURNAMES = ("张", "王", "李", "赵", "刘", "陈", "杨", "黄", "吴", "周", "欧阳", "司马", "诸葛", "吕", "范", "郁")
# Given-name characters, many with a traditional form that differs (发 發, 丰 豐, 东 東, 龙 龍 …).
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华红玉兰凤发丰东龙云庆飞鹏辉宇浩峰亮"
REGIONS = ("320402", "320411", "110105", "440305", "510104", "330106")
# Filler text around the data: none of its characters are in SURNAMES or GIVEN.
FILLERS = ("当事人", "申请人称", "经核查", "联系方式：", "住所地", "特此说明。", "其身份证件号码为", "现居")
SEPARATORS = (" ", "  ", "·", "-", "　", "、", "_", ".")

_S2T = opencc.OpenCC("s2t")


@dataclass(frozen=True)
class Written:
    """A personal datum as written in a text, and the canonical forms no answer may hold."""

    text: str
    needles: tuple[str, ...]


def _spaced(value: str, separator: str) -> str:
    return separator.join(value)


@st.composite
def person_names(draw: st.DrawFn) -> str:
    surname = draw(st.sampled_from(SURNAMES))
    given = draw(st.text(alphabet=GIVEN, min_size=1, max_size=2))
    return surname + given


def name_needles(name: str) -> tuple[str, ...]:
    plain = "".join(lazy_pinyin(name, style=Style.NORMAL)).lower()
    return (name, _S2T.convert(name), plain)


@st.composite
def written_names(draw: st.DrawFn, name: str) -> Written:
    """`name` as somebody may write it."""
    syllables = lazy_pinyin(name, style=draw(st.sampled_from([Style.NORMAL, Style.TONE, Style.TONE3])))
    keep = 2 if len(name) > 2 and name[:2] in SURNAMES else 1
    surname, given = "".join(syllables[:keep]), "".join(syllables[keep:])
    forms = [
        name,
        _S2T.convert(name),
        _spaced(name, draw(st.sampled_from(SEPARATORS))),
        _spaced(_S2T.convert(name), draw(st.sampled_from(SEPARATORS))),
        f"{surname.capitalize()} {given.capitalize()}",
        f"{surname}{given}",
        f"{surname.upper()} {given.capitalize()}",
        f"{given.capitalize()} {surname.capitalize()}",
        " ".join(syllables),
        "-".join(s.capitalize() for s in syllables),
    ]
    return Written(draw(st.sampled_from(forms)), name_needles(name))


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    """A valid 18-character resident ID number (born 1990 or later: python-stdnum, which the import
    uses, refuses a county code for years before the county existed under that code)."""
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2005, 12, 31)))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + ric.calc_check_digit(body + "0")


_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@st.composite
def written_ids(draw: st.DrawFn, id_number: str) -> Written:
    """`id_number` (18 characters) as somebody may write it, or its 15-digit pre-1999 form."""
    legacy = id_number[:6] + id_number[8:17]  # the same person's number before 1999 (when born 19xx)
    forms = [
        id_number,
        id_number.lower(),
        f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}",
        " ".join(id_number[i : i + 4] for i in range(0, 18, 4)),
        f"{id_number[:6]}-{id_number[6:14]}-{id_number[14:].lower()}",
        id_number.translate(_FULL_WIDTH),
    ]
    if id_number[6:8] == "19":
        forms += [legacy, f"{legacy[:6]} {legacy[6:12]} {legacy[12:]}"]
    needles = (id_number, id_number.lower(), legacy if id_number[6:8] == "19" else id_number)
    return Written(draw(st.sampled_from(forms)), needles)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["13", "15", "156", "17", "18", "19"])).ljust(3, "8") + "".join(
        str(draw(st.integers(0, 9))) for _ in range(8)
    )


@st.composite
def written_phones(draw: st.DrawFn, mobile: str) -> Written:
    """A mobile number, or a landline, as somebody may write it."""
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    landline = "0519" + mobile[3:]  # an 8-digit local number with 常州's area code
    forms = [
        mobile,
        f"{a} {b} {c}",
        f"{a}-{b}-{c}",
        f"+86 {a} {b} {c}",
        f"+86-{mobile}",
        f"+86{mobile}",
        f"0086 {mobile}",
        f"(+86) {a}-{b}-{c}",
        mobile.translate(_FULL_WIDTH),
        f"0519-{landline[4:]}",
        f"(0519){landline[4:8]}-{landline[8:]}",
        f"0519 {landline[4:8]} {landline[8:]}",
        f"+86 519 {landline[4:8]} {landline[8:]}",
    ]
    text = draw(st.sampled_from(forms))
    needles = (landline[4:], landline) if "519" in text else (mobile,)
    return Written(text, needles)


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    mobile: str
    address: str


@st.composite
def persons(draw: st.DrawFn) -> Person:
    street = draw(st.sampled_from(["青洋北路", "延陵西路", "和平中路", "劳动东路"]))
    number = draw(st.integers(1, 999))
    return Person(
        name=draw(person_names()),
        id_number=draw(resident_ids()),
        mobile=draw(mobiles()),
        address=f"江苏省常州市天宁区{street}{number}号",
    )


@st.composite
def texts_about(draw: st.DrawFn, person: Person) -> tuple[str, tuple[str, ...]]:
    """A free text mentioning `person` several ways; its needles."""
    parts = [
        draw(written_names(person.name)),
        draw(written_ids(person.id_number)),
        draw(written_phones(person.mobile)),
    ]
    order = draw(st.permutations(parts))
    fillers = draw(st.lists(st.sampled_from(FILLERS), min_size=3, max_size=3))
    text = "".join(f"{filler}{part.text}" for filler, part in zip(fillers, order, strict=True)) + "。"
    needles = tuple(n for part in parts for n in part.needles)
    return text, needles


_SEPARATORS_OUT = re.compile(r"[\s\-_.·、　()（）+]")


def leaks(body: str, needles: tuple[str, ...]) -> list[str]:
    """The needles readable in `body`: as they are, or once spaces and punctuation are gone and
    full-width characters folded (a name is also looked for in lower case, for pinyin)."""
    folded = body.translate({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)})
    squeezed = _SEPARATORS_OUT.sub("", folded)
    lowered = squeezed.lower()
    found = []
    for needle in needles:
        plain = _SEPARATORS_OUT.sub("", needle)
        if needle in body or plain in squeezed or plain.lower() in lowered:
            found.append(needle)
    return found
