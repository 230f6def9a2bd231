"""Administrative divisions read from python-stdnum's table (credit.subjects.regions)."""

from __future__ import annotations

import pytest

from credit.subjects.regions import (
    NamePeriod,
    RegionNames,
    RegionNotFound,
    city_code,
    county_periods,
    current_county_codes,
    find_regions,
    province_code,
    region_names,
    region_prefix,
    short_name,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("320402", RegionNames("江苏省", "常州市", "天宁区")),
        ("110105", RegionNames("北京市", "北京市", "朝阳区")),
        ("310115", RegionNames("上海市", "上海市", "浦东新区")),
        ("500101", RegionNames("重庆市", "重庆市", "万州区")),  # renamed from 万县区: current name preferred
        ("110103", RegionNames("北京市", "北京市", "崇文区")),  # abolished 2010: its last name
        ("429004", RegionNames("湖北省", None, "仙桃市")),  # county-level city directly under the province
        ("441900", RegionNames("广东省", "东莞市", None)),
        ("232761", RegionNames("黑龙江省", "大兴安岭地区", "加格达奇区")),  # table has it in traditional
        ("320400", RegionNames("江苏省", "常州市", None)),
        ("3204", RegionNames("江苏省", "常州市", None)),
        ("32", RegionNames("江苏省", None, None)),
        ("320000", RegionNames("江苏省", None, None)),
        ("810000", RegionNames("香港特别行政区", None, None)),
    ],
)
def test_region_names(code: str, expected: RegionNames) -> None:
    assert region_names(code) == expected


@pytest.mark.parametrize("code", ["", "3", "320", "32040", "3204021", "32040x", "999999", "320499", "000000"])
def test_region_names_of_malformed_or_unknown_codes(code: str) -> None:
    assert region_names(code) is None


def test_full_name() -> None:
    names = region_names("320402")
    assert names is not None and names.full == "江苏省常州市天宁区"
    beijing = region_names("110105")
    assert beijing is not None and beijing.full == "北京市朝阳区"


def test_current_county_codes() -> None:
    codes = current_county_codes()
    assert codes == sorted(set(codes))
    assert 2700 < len(codes) < 3100
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    current = set(codes)
    assert {"320402", "110105", "110112", "429004", "441900"} <= current
    # abolished (崇文区, 宣武区 2010; 密云县 2015), aggregates (市辖区, 县) and provinces / prefectures
    assert not {"110103", "110104", "110228", "110100", "110200", "130101", "320400", "320000"} & current
    for code in codes:
        periods = county_periods(code)
        assert periods and periods[-1].current
        names = region_names(code)
        assert names is not None and (names.county or names.city)
        assert names.county != "市辖区"
    # the only prefecture-level codes are cities that have no counties
    assert [code for code in codes if code.endswith("00")] == ["441900", "442000", "460400", "620200"]


def test_current_county_codes_returns_a_copy() -> None:
    codes = current_county_codes()
    codes.clear()
    assert current_county_codes()


def test_county_periods() -> None:
    assert county_periods("110103") == (NamePeriod("崇文区", None, 2010),)
    assert county_periods("110112") == (NamePeriod("通州区", 1997, None),)
    assert county_periods("500101") == (NamePeriod("万县区", 1997, 1997), NamePeriod("万州区", 1998, None))
    assert county_periods("999999") == ()
    tongzhou = county_periods("110112")[0]
    assert tongzhou.in_use(2024) and not tongzhou.in_use(1996)


def test_province_and_city_codes() -> None:
    assert province_code("320402") == "320000"
    assert city_code("320402") == "320400"
    assert province_code("32") == "320000"
    assert city_code("3204") == "320400"
    with pytest.raises(ValueError):
        city_code("32")
    with pytest.raises(ValueError):
        province_code("x1")


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("常州市", "常州"),
        ("天宁区", "天宁"),
        ("江苏省", "江苏"),
        ("浦东新区", "浦东"),
        ("乐东黎族自治县", "乐东"),
        ("长白朝鲜族自治县", "长白"),
        ("东乡族自治县", "东乡"),
        ("鄂温克族自治旗", "鄂温克"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("内蒙古自治区", "内蒙古"),
        ("香港特别行政区", "香港"),
        ("阿拉善盟", "阿拉善"),
        ("神农架林区", "神农架"),
        ("和县", "和县"),
        ("城区", "城区"),
    ],
)
def test_short_name(name: str, short: str) -> None:
    assert short_name(name) == short


class TestFindRegions:
    @pytest.mark.parametrize(
        ("query", "first_code"),
        [("天宁", "320402"), ("天寧區", "320402"), ("常州", "320400"), ("江苏", "320000"), ("3204", "320400"),
         ("浦东", "310115"), ("东莞", "441900"), ("乾安", "220723"), ("北京市朝阳区", "110105")],
    )  # fmt: skip
    def test_finds_current_divisions_by_name_or_code(self, query: str, first_code: str) -> None:
        assert find_regions(query)[0].code == first_code

    def test_provinces_before_prefectures_before_counties(self) -> None:
        levels = [m.level for m in find_regions("江苏", limit=5)]
        assert levels[0] == "province" and set(levels[1:]) == {"city"}

    def test_unknown_and_empty(self) -> None:
        assert find_regions("火星") == [] and find_regions("  ") == []


class TestRegionPrefix:
    @pytest.mark.parametrize(
        ("value", "prefix"),
        [("3204", "3204"), ("32", "32"), ("320402", "320402"), ("３２０４", "3204"), ("天宁区", "320402"),
         ("常州", "3204"), ("常州市", "3204"), ("江苏", "32"), ("北京", "11"), ("浦东新区", "310115")],
    )  # fmt: skip
    def test_a_code_or_a_name_that_names_one_division(self, value: str, prefix: str) -> None:
        assert region_prefix(value) == prefix

    def test_an_ambiguous_name_lists_its_candidates(self) -> None:
        with pytest.raises(RegionNotFound, match=r"several divisions \(320106 江苏省南京市鼓楼区, .*give a code"):
            region_prefix("鼓楼区")

    @pytest.mark.parametrize("value", ["火星", "", "1234567", "x" * 41])
    def test_refuses_what_names_nothing(self, value: str) -> None:
        with pytest.raises(RegionNotFound):
            region_prefix(value)
