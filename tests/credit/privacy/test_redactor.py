"""The one cleaning path of free text (credit/privacy): identifiers of anyone in every spelling, and a
subject's natural persons in every script, spacing and romanisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.privacy.numbers import fold, resident_id
from credit.privacy.redactor import GENERIC, PersonValues, person_redactor
from tests.support.personal import (
    Person,
    leaks,
    persons,
    resident_ids,
    texts_about,
    written_ids,
    written_names,
    written_phones,
)

pytestmark = pytest.mark.unit

PERSON_ID = "32040219900101128X"  # a valid resident ID number (check character X)
ZHANG = person_redactor(
    PersonValues(names=("张三丰", "张君宝"), phone="13812345678", address="江苏省常州市天宁区青洋北路1号")
)


class TestIdentifiers:
    @pytest.mark.parametrize(
        ("text", "cleaned"),
        [
            (f"身份证号{PERSON_ID}，电话13812345678", "身份证号3204**********128X，电话138****5678"),
            ("身份证 320402 19900101 128x", "身份证 3204**********128X"),
            ("3204 0219 9001 0112 8X。", "3204**********128X。"),
            ("320402-19900101-128X", "3204**********128X"),
            ("３２０４０２１９９００１０１１２８Ｘ", "3204**********128X"),
            ("旧证号320402900101123", "旧证号3204**********1239"),
            ("手机 +86 156-1234-5678", "手机 156****5678"),
            ("0086 13812345678；(+86)138 1234 5678", "138****5678；138****5678"),
            ("156 1234 5678 或 156-1234-5678", "156****5678 或 156****5678"),
            ("座机 (0519)8888-1234、0519 8888 1234", "座机 051****1234、051****1234"),
            ("+86 519 8888 1234", "051****1234"),
            ("联系电话：88881234", "联系电话：****1234"),
            ("卡号 6222 0212 3456 7890 123", "卡号 6222***********0123"),
            ("邮箱 zhangsan@example.cn", "邮箱 z***@example.cn"),
            ("13812345678/13987654321", "138****5678/139****4321"),
        ],
    )
    def test_every_usual_spelling_is_masked(self, text: str, cleaned: str) -> None:
        assert GENERIC(text) == cleaned

    @pytest.mark.parametrize(
        "text",
        [
            "91320402MA1N2X3Y4K",
            "JY3204022024123456789",
            "(2024)苏04执2040号",
            "常环罚〔2024〕12号",
            "2024-05-10",
            "罚款人民币50000元，没收违法所得1,200,000元",
            "第1条第2款",
            "常州市生态环境局",
            "食品经营许可证 JY13204020012345",
            "400-820-8820",
        ],
    )
    def test_what_is_no_identifier_stays(self, text: str) -> None:
        assert GENERIC(text) == text

    def test_a_mistyped_check_character_is_still_masked(self) -> None:
        # stdnum's validate() refuses it; it still names its holder (wrapped: only the birth date is read).
        assert GENERIC("320402199001011230") == "3204**********1230"

    def test_resident_id_widens_the_old_numbers(self) -> None:
        assert resident_id("320402900101123") == "320402199001011239"
        assert resident_id("320400000012345") is None  # an old business registration number: no date

    def test_folding_keeps_every_position(self) -> None:
        text = "电话：１３８１２３４５６７８（手机）"
        assert len(fold(text)) == len(text)
        assert GENERIC(text) == "电话：138****5678（手机）"

    @settings(max_examples=300)
    @given(data=st.data())
    def test_any_spelling_of_an_id_or_phone_is_masked(self, data: st.DataObject) -> None:
        id_number = data.draw(resident_ids())
        written = [data.draw(written_ids(id_number)), data.draw(written_phones("15612345678"))]
        filler = data.draw(st.sampled_from(["当事人", "号码：", "，", " ", "/"]))
        text = filler.join(w.text for w in written) + filler
        cleaned = GENERIC(text)
        assert leaks(cleaned, tuple(n for w in written for n in w.needles)) == [], (text, cleaned)


class TestPersons:
    @pytest.mark.parametrize(
        "written",
        ["张三丰", "張三豐", "张 三 丰", "張·三·豐", "张-三-丰", "Zhang Sanfeng", "zhangsanfeng", "ZHANG San-feng",
         "Zhāng Sānfēng", "zhang1 san1 feng1", "Sanfeng Zhang", "张君宝", "張 君 寶"],
    )  # fmt: skip
    def test_a_name_in_any_script_or_spacing(self, written: str) -> None:
        assert ZHANG(f"申请人{written}称") == "申请人张**称"

    def test_address_and_phone_in_any_grouping(self) -> None:
        text = "住江苏省常州市天宁区青洋北路1号，即青洋北路 1 号，电话138 1234 5678"
        assert ZHANG(text) == "住江苏省常州市天宁区****，即****，电话138****5678"

    def test_other_text_stays(self) -> None:
        text = "关于常州市某某科技有限公司违法排污的行政处罚决定书（常环罚〔2024〕12号）"
        assert ZHANG(text) == text

    def test_compound_surname_and_given_name_first(self) -> None:
        ouyang = person_redactor(PersonValues(names=("欧阳娜娜",)))
        assert ouyang("Nana Ouyang、歐陽娜娜、ouyang nana") == "欧阳**、欧阳**、欧阳**"

    @settings(max_examples=200, deadline=None)
    @given(data=st.data())
    def test_generated_persons_never_survive(self, data: st.DataObject) -> None:
        person: Person = data.draw(persons())
        clean = person_redactor(PersonValues(names=(person.name,), phone=person.mobile, address=person.address))
        text, needles = data.draw(texts_about(person))
        cleaned = clean(text)
        assert leaks(cleaned, needles) == [], (text, cleaned)

    @settings(max_examples=100, deadline=None)
    @given(data=st.data())
    def test_a_name_written_any_way_is_masked(self, data: st.DataObject) -> None:
        person: Person = data.draw(persons())
        written = data.draw(written_names(person.name))
        cleaned = person_redactor(PersonValues(names=(person.name,)))(f"当事人{written.text}。")
        assert leaks(cleaned, written.needles) == [], (written.text, cleaned)
