"""Highlights point at the matched characters for every form of query."""

from __future__ import annotations

import pytest

from credit.search.highlight import highlights

pytestmark = pytest.mark.unit

NAME = "常州星辰智能科技有限公司"
FORMER = "常州星辰电子有限公司"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("星辰", "常州<em>星辰</em>智能科技有限公司"),
        ("xingchen", "常州<em>星辰</em>智能科技有限公司"),
        ("Xing Chen", "常州<em>星辰</em>智能科技有限公司"),
        ("xc", "常州<em>星辰</em>智能科技有限公司"),
        ("xczn", "常州<em>星辰智能</em>科技有限公司"),
        ("czxcznkj", "<em>常州星辰智能科技</em>有限公司"),
        ("changzhouxingchenzhinengkeji", "<em>常州星辰智能科技</em>有限公司"),
        ("changzhouxing", "<em>常州星</em>辰智能科技有限公司"),
        ("星辰zn", "常州<em>星辰智能</em>科技有限公司"),
        ("xingchen智能", "常州<em>星辰智能</em>科技有限公司"),
        ("星辰zhineng", "常州<em>星辰智能</em>科技有限公司"),
        ("星辰智能", "常州<em>星辰智能</em>科技有限公司"),
        ("常州星辰智能科技有限公司", "<em>常州星辰智能科技有限公司</em>"),
        ("常州星晨智能", "<em>常州星</em>辰<em>智能</em>科技有限公司"),  # a typo: the pieces that match
        ("changzhouxingchenzhinenkeji", "<em>常州星辰智能科技</em>有限公司"),  # a pinyin typo
    ],
)
def test_every_query_form(query: str, expected: str) -> None:
    assert highlights(query, [NAME])[0] == expected


def test_traditional_query_on_a_simplified_name_and_back() -> None:
    assert highlights("長江實業", ["江苏长江实业集团有限公司"]) == ("江苏<em>长江实业</em>集团有限公司",)
    assert highlights("长江实业", ["江蘇長江實業集團有限公司"]) == ("江蘇<em>長江實業</em>集團有限公司",)


def test_former_names_are_highlighted_too() -> None:
    assert highlights("星辰电子", [NAME, FORMER]) == ("常州<em>星辰电子</em>有限公司",)
    assert highlights("星辰", [NAME, FORMER]) == ("常州<em>星辰</em>智能科技有限公司", "常州<em>星辰</em>电子有限公司")


def test_codes_mark_nothing() -> None:
    assert highlights("91320402MA1XC00013", [NAME]) == ()


def test_masked_names_only_mark_what_is_shown() -> None:
    assert highlights("张三丰", ["张**"]) == ("<em>张</em>**",)
    assert highlights("zhangsanfeng", ["张**"]) == ("<em>张</em>**",)


def test_markup_in_a_name_is_escaped() -> None:
    assert highlights("星辰", ["<b>星辰</b>&公司"]) == ("&lt;b&gt;<em>星辰</em>&lt;/b&gt;&amp;公司",)
