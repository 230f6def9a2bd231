"""Name normalisation shared by indexing and querying (credit/search/names.py)."""

from __future__ import annotations

import pytest

from credit.search.names import (
    core_name,
    is_pinyin_like,
    name_grams,
    normalize_name,
    pinyin_full,
    pinyin_initials,
    pinyin_query_form,
)

pytestmark = pytest.mark.unit


class TestNormalizeName:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("常州某某科技有限公司", "常州某某科技有限公司"),
            ("長江實業（集團）有限公司", "长江实业集团有限公司"),
            ("ＡＢＣ科技", "abc科技"),
            ("ABC 科技 有限公司", "abc科技有限公司"),
            ("《常州》日报社·分社、编辑部", "常州日报社分社编辑部"),
            ("台積電(南京)有限公司", "台积电南京有限公司"),
            ("１２３工厂", "123工厂"),
            ("欧阳·娜娜\u3000", "欧阳娜娜"),
            ("！？。", ""),
        ],
    )
    def test_examples(self, raw: str, expected: str) -> None:
        assert normalize_name(raw) == expected

    def test_traditional_and_simplified_agree(self) -> None:
        assert normalize_name("臺灣積體電路製造股份有限公司") == normalize_name("台湾积体电路制造股份有限公司")

    def test_idempotent(self) -> None:
        once = normalize_name("長江實業（集團）有限公司")
        assert normalize_name(once) == once


class TestCoreName:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("常州某某科技有限公司", "常州某某科技"),
            ("常州某某科技有限责任公司", "常州某某科技"),
            ("常州某某科技股份有限公司", "常州某某科技"),
            ("江苏长江实业集团有限公司", "江苏长江实业"),
            ("長江實業（集團）有限公司", "长江实业"),
            ("常州红星投资合伙企业（有限合伙）", "常州红星投资"),
            ("常州市武进区湖塘机械厂", "常州市武进区湖塘机械"),
            ("常州龙城律师事务所", "常州龙城律师事务所"),
            ("常州星辰智能科技", "常州星辰智能科技"),
        ],
    )
    def test_strips_company_forms(self, raw: str, expected: str) -> None:
        assert core_name(raw) == expected

    def test_keeps_at_least_two_characters(self) -> None:
        assert core_name("有限公司") == "有限"
        assert core_name("公司") == "公司"
        assert core_name("化工厂") == "化工"
        assert core_name("工厂") == "工厂"


class TestPinyin:
    def test_full_pinyin(self) -> None:
        assert pinyin_full("常州星辰智能科技") == "changzhouxingchenzhinengkeji"

    def test_initials(self) -> None:
        assert pinyin_initials("常州星辰智能科技") == "czxcznkj"

    def test_polyphones_take_phrase_readings(self) -> None:
        assert pinyin_full("重庆银行") == "chongqingyinhang"
        assert pinyin_initials("重庆银行") == "cqyh"

    def test_traditional_characters(self) -> None:
        assert pinyin_full("長城汽車") == pinyin_full("长城汽车") == "changchengqiche"

    def test_latin_and_digits_pass_through(self) -> None:
        assert pinyin_full("ABC电子123") == "abcdianzi123"
        assert pinyin_initials("ABC电子123") == "abcdz123"

    def test_punctuation_is_ignored(self) -> None:
        assert pinyin_full("欧阳·娜娜") == "ouyangnana"


class TestPinyinLike:
    @pytest.mark.parametrize("query", ["zhangsan", "Zhang San", "czxcznkj", "xi'an", "qdsz100sp", "Zhāng Sān"])
    def test_pinyin_like(self, query: str) -> None:
        assert is_pinyin_like(query)

    @pytest.mark.parametrize("query", ["张三", "abc电子", "913204", "", "  ", "ab!c", "zhang三"])
    def test_not_pinyin_like(self, query: str) -> None:
        assert not is_pinyin_like(query)

    def test_query_form(self) -> None:
        assert pinyin_query_form("Zhang San") == "zhangsan"
        assert pinyin_query_form("Xi'an") == "xian"
        assert pinyin_query_form("Zhāng Sān") == "zhangsan"
        assert pinyin_query_form("ＺＨＡＮＧ") == "zhang"


def test_name_grams() -> None:
    assert name_grams("张三丰") == ["张", "三", "丰", "张三", "三丰"]
    assert name_grams("娜娜") == ["娜", "娜娜"]
    assert name_grams("") == []
