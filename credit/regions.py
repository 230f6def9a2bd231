"""Administrative divisions of the PRC (行政区划代码, GB/T 2260) from python-stdnum's table.

python-stdnum ships the division table as ``stdnum/cn/loc.dat`` (kept up to date by its maintainers
from the published code lists); ``numdb.get('cn/loc')`` parses it into a tree of 2-digit provinces
with 4-digit children. Every child carries a ``county`` property whose value is a comma-separated
history, e.g. ``"[1983-2019]桥东区,[2020-]襄都区"``: ``[start-end]`` brackets give the years a name
was in use, an empty end means the name is still in use, and an entry without brackets has been in
use since before the table begins. The ``xx00`` child of a province is its prefecture-level city
(or an aggregate such as ``市辖区`` / ``县`` / ``省直辖县级行政区划``), ``0000`` is the province itself.

Codes are handled as strings of digits. ``province_code`` and ``city_code`` return the padded
6-digit code of the enclosing province / prefecture (``"320000"``, ``"320400"``); the matching
search prefixes are simply ``code[:2]`` and ``code[:4]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from stdnum import numdb

__all__ = [
    "NamePeriod",
    "RegionNames",
    "city_code",
    "county_periods",
    "current_county_codes",
    "province_code",
    "region_names",
    "short_name",
]

# Four-digit provinces whose xx01/xx02 children are aggregates of the city itself (直辖市).
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})

# A few names in loc.dat are written in traditional characters (232761 加格達奇區 …); the divisions'
# official names are simplified. An explicit table, because a general t2s conversion would also
# rewrite correct names (乾安县 → 干安县).
_SIMPLIFIED = str.maketrans({"達": "达", "嶺": "岭", "區": "区", "會": "会", "員": "员", "稜": "棱"})

_PERIOD_RE = re.compile(r"^\[(?P<start>\d{4})?-(?P<end>\d{4})?\](?P<name>.+)$")


@dataclass(frozen=True, slots=True)
class NamePeriod:
    """One name of a division code and the years it was in use (None: open-ended / unknown)."""

    name: str
    start: int | None
    end: int | None

    @property
    def current(self) -> bool:
        return self.end is None

    def in_use(self, year: int) -> bool:
        return (self.start is None or self.start <= year) and (self.end is None or year <= self.end)


@dataclass(frozen=True, slots=True)
class RegionNames:
    """Names of a division and the divisions above it; current names are preferred.

    ``city`` is the prefecture-level city; for the municipalities (北京, 天津, 上海, 重庆) it is the
    municipality's own name, and for county-level units directly under a province (仙桃市, 济源市,
    石河子市 …) it is None. ``county`` is None when the code names a province or a prefecture.
    """

    province: str
    city: str | None
    county: str | None

    @property
    def full(self) -> str:
        """The names joined without repetition, e.g. 江苏省常州市天宁区 / 北京市朝阳区."""
        parts: list[str] = []
        for part in (self.province, self.city, self.county):
            if part and part not in parts:
                parts.append(part)
        return "".join(parts)


def _parse_periods(raw: str) -> tuple[NamePeriod, ...]:
    periods: list[NamePeriod] = []
    for item in raw.translate(_SIMPLIFIED).split(","):
        item = item.strip()
        if not item:
            continue
        match = _PERIOD_RE.match(item)
        if match is None:
            periods.append(NamePeriod(item, None, None))
        else:
            start, end = match.group("start"), match.group("end")
            periods.append(NamePeriod(match.group("name"), int(start) if start else None, int(end) if end else None))
    return tuple(periods)


def _preferred(periods: tuple[NamePeriod, ...]) -> str | None:
    """The current name, else the most recent one."""
    if not periods:
        return None
    for period in reversed(periods):
        if period.current:
            return period.name
    return max(periods, key=lambda p: p.end or 0).name


def _is_aggregate(name: str) -> bool:
    """Codes that group divisions rather than name one (市辖区, 县, 省直辖县级行政区划 …)."""
    return name in {"市辖区", "县"} or "直辖" in name


@dataclass(frozen=True, slots=True)
class _Table:
    provinces: dict[str, str]  # 2-digit code -> province name
    entries: dict[str, tuple[NamePeriod, ...]]  # 6-digit code -> name history


@cache
def _table() -> _Table:
    provinces: dict[str, str] = {}
    entries: dict[str, tuple[NamePeriod, ...]] = {}
    for length, low, high, props, children in numdb.get("cn/loc").prefixes:
        if length != 2:
            continue
        for prov in _expand(low, high):
            provinces[prov] = props.get("province", "")
            for clen, clow, chigh, cprops, _grandchildren in children:
                if clen != 4 or "county" not in cprops:
                    continue
                periods = _parse_periods(cprops["county"])
                for child in _expand(clow, chigh):
                    entries[prov + child] = periods
    for prov in provinces:  # prefer the (simplified, current) name of the xx0000 entry
        name = _preferred(entries.get(prov + "0000", ()))
        if name:
            provinces[prov] = name
    return _Table(provinces, entries)


def _expand(low: str, high: str) -> list[str]:
    if low == high or not (low.isdigit() and high.isdigit()):
        return [low]
    return [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]


def _pad(code: str) -> str | None:
    code = code.strip()
    if len(code) not in (2, 4, 6) or not code.isdigit():
        return None
    return code.ljust(6, "0")


@cache
def region_names(code: str) -> RegionNames | None:
    """Names for a 2-, 4- or 6-digit division code; None when malformed or unknown.

    Abolished divisions resolve to their last name (110103 → 崇文区); renamed ones to their current
    name (500101 → 万州区).
    """
    full = _pad(code)
    if full is None:
        return None
    table = _table()
    province = table.provinces.get(full[:2])
    if not province:
        return None
    if full[2:] == "0000":
        return RegionNames(province, None, None)
    city_name = _preferred(table.entries.get(full[:4] + "00", ()))
    city: str | None
    if full[:2] in MUNICIPALITIES:
        city = province
    elif city_name is None or _is_aggregate(city_name):
        city = None
    else:
        city = city_name
    if full[4:] == "00":
        if city_name is None:
            return None
        return RegionNames(province, city, None)
    county = _preferred(table.entries.get(full, ()))
    if county is None:
        return None
    return RegionNames(province, city, county)


def county_periods(code: str) -> tuple[NamePeriod, ...]:
    """The name history of a 6-digit code (empty when unknown)."""
    return _table().entries.get(code, ())


@cache
def _current_county_codes() -> tuple[str, ...]:
    entries = _table().entries
    current = {
        code: periods
        for code, periods in entries.items()
        if code[2:] != "0000" and periods and periods[-1].current and not _is_aggregate(periods[-1].name)
    }
    result: list[str] = []
    for code in current:
        if code[4:] != "00":
            result.append(code)
        elif not any(other[:4] == code[:4] and other[4:] != "00" for other in current):
            # a prefecture-level city without counties (东莞市, 中山市, 嘉峪关市, 儋州市):
            # its own code is where its residents and businesses are registered
            result.append(code)
    return tuple(sorted(result))


def current_county_codes() -> list[str]:
    """6-digit codes of the county-level divisions that exist now, sorted.

    Excludes abolished codes (an end year in the history), province / prefecture codes and
    aggregates (市辖区, 县 …); includes prefecture-level cities that have no counties (441900 东莞市).
    """
    return list(_current_county_codes())


def _digits(code: str, n: int) -> str:
    code = code.strip()
    if len(code) < n or not code[:n].isdigit():
        raise ValueError(f"division code needs at least {n} digits")
    return code[:n]


def province_code(code: str) -> str:
    """The 6-digit code of the province containing ``code``: ``"320402"`` → ``"320000"``."""
    return _digits(code, 2) + "0000"


def city_code(code: str) -> str:
    """The 6-digit code of the prefecture containing ``code``: ``"320402"`` → ``"320400"``.

    For municipalities this is the aggregate ``xx0100`` / ``xx0200`` code; prefer ``code[:2]`` as a
    search prefix there.
    """
    return _digits(code, 4) + "00"


_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|拉祜|水|东乡|纳西|"
    "景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|鄂温克|德昂|保安|裕固|京|"
    "独龙|鄂伦春|赫哲|门巴|珞巴|基诺|各"
)
_AUTONOMOUS_RE = re.compile(rf"(?:(?:{_ETHNIC})族?)*自治(?:区|州|县|旗)")
_SUFFIXES = ("特别行政区", "地区", "林区", "新区", "矿区", "特区", "省", "市", "区", "县", "盟", "旗")


def short_name(name: str) -> str:
    """A division's name without its administrative suffix, as used in names of businesses and in
    document numbers: 常州市 → 常州, 长白朝鲜族自治县 → 长白, 广西壮族自治区 → 广西, 浦东新区 → 浦东.
    Names that would become a single character keep their suffix (和县, 城区)."""
    if "自治" in name:
        for i in range(2, len(name)):
            if _AUTONOMOUS_RE.fullmatch(name, i):
                stem = name[:i]
                return stem[:-1] if stem.endswith("族") and len(stem) >= 3 else stem
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name
