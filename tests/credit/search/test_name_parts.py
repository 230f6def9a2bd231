"""Names split into place, trade name, industry and form; mixed pinyin and hanzi folded to indexed forms."""

from __future__ import annotations

import pytest

from credit.search.name_parts import NameParts, latin_units, split_name, typed_forms

pytestmark = pytest.mark.unit


class TestSplitName:
    @pytest.mark.parametrize(
        ("name", "parts"),
        [
            ("常州星辰智能科技有限公司", NameParts("常州", "星辰", ("智能", "科技"), "有限公司")),
            ("深圳市华为技术有限公司", NameParts("深圳市", "华为", ("技术",), "有限公司")),
            ("星辰智能科技（常州）有限公司", NameParts("常州", "星辰", ("智能", "科技"), "有限公司")),
            ("台积电(南京)有限公司", NameParts("南京", "台积电", (), "有限公司")),
            ("江苏省常州市天宁区星辰科技有限公司", NameParts("江苏省常州市天宁区", "星辰", ("科技",), "有限公司")),
            ("常州市武进区湖塘机械厂", NameParts("常州市武进区", "湖塘", ("机械",), "厂")),
            ("常州星辰科技有限公司天宁分公司", NameParts("常州", "星辰", ("科技",), "有限公司天宁分公司")),
            ("常州红星投资合伙企业(有限合伙)", NameParts("常州", "红星", ("投资",), "合伙企业有限合伙")),
            ("溧阳市恒达水稻种植专业合作社", NameParts("溧阳市", "恒达", ("水稻", "种植"), "专业合作社")),
            ("常州市天宁区张记面馆", NameParts("常州市天宁区", "张记", ("面馆",), "")),
            ("長城汽車股份有限公司", NameParts("", "长城", ("汽车",), "股份有限公司")),
            ("常州ABC电子科技有限公司", NameParts("常州", "abc", ("电子", "科技"), "有限公司")),
        ],
    )
    def test_parts(self, name: str, parts: NameParts) -> None:
        assert split_name(name) == parts

    @pytest.mark.parametrize(
        ("name", "trade"),
        [
            ("东方科技有限公司", "东方"),  # 东方 is also a city: the trade name is never left empty
            ("常州金坛科技有限公司", "金坛"),  # a district of 常州, but nothing would be left after it
            ("常州东方科技有限公司", "东方"),  # 东方市 is not inside 常州
            ("重庆银行股份有限公司", "重庆"),
            ("科技有限公司", "科技"),
        ],
    )
    def test_the_trade_name_is_never_empty(self, name: str, trade: str) -> None:
        assert split_name(name).trade == trade

    def test_typed_forms_of_a_name(self) -> None:
        assert split_name("常州星辰智能科技有限公司").typed == ("星辰", "星辰智能", "星辰智能科技")


class TestLatinUnits:
    @pytest.mark.parametrize(
        ("run", "units"),
        [
            ("xingchen", (("xing", True), ("chen", True))),
            ("zn", (("z", False), ("n", False))),
            ("xian", (("xian", True),)),
            ("changan", (("chang", True), ("an", True))),
            ("lv", (("lv", True),)),
            ("zhin", (("zhi", True), ("n", False))),
        ],
    )
    def test_units(self, run: str, units: tuple[tuple[str, bool], ...]) -> None:
        assert latin_units(run) == units


class TestTypedForms:
    @pytest.mark.parametrize(
        ("query", "pinyin", "initials", "hanzi"),
        [
            ("星辰zn", None, "xczn", ("星辰",)),
            ("xingchen智能", "xingchenzhineng", "xczn", ("智能",)),
            ("星辰zhineng", "xingchenzhineng", "xczn", ("星辰",)),
            ("xc智能科技", None, "xcznkj", ("智能科技",)),
            ("xingchenzn", None, "xczn", ()),
        ],
    )
    def test_mixed(self, query: str, pinyin: str | None, initials: str | None, hanzi: tuple[str, ...]) -> None:
        forms = typed_forms(query)
        assert (forms.pinyin, forms.initials, forms.hanzi) == (pinyin, initials, hanzi)

    @pytest.mark.parametrize("query", ["星辰智能", "xingchen", "xczn", "91320402ma1x"])
    def test_nothing_to_fold(self, query: str) -> None:
        forms = typed_forms(query)
        assert (forms.pinyin, forms.initials) == (None, None)
