"""Masking of natural persons' personal data (credit/subjects/masking.py)."""

from __future__ import annotations

import pytest

from credit.subjects.masking import mask_address, mask_id_number, mask_name, mask_phone

pytestmark = pytest.mark.unit


class TestMaskName:
    @pytest.mark.parametrize(
        ("name", "masked"),
        [
            ("张三", "张*"),
            ("张三丰", "张**"),
            ("欧阳娜娜", "欧阳**"),
            ("司马相如", "司马**"),
            ("欧阳", "欧*"),
            ("王", "*"),
            ("", ""),
            ("  李四 ", "李*"),
        ],
    )
    def test_examples(self, name: str, masked: str) -> None:
        assert mask_name(name) == masked

    def test_length_is_kept(self) -> None:
        assert len(mask_name("爱新觉罗溥仪")) == 6


class TestMaskIdNumber:
    def test_keeps_first_and_last_four(self) -> None:
        assert mask_id_number("32040219900101123X") == "3204**********123X"

    def test_short_values_are_fully_masked(self) -> None:
        assert mask_id_number("12345678") == "********"
        assert mask_id_number("") == ""

    def test_no_birth_date_left(self) -> None:
        assert "19900101" not in mask_id_number("32040219900101123X")


class TestMaskPhone:
    @pytest.mark.parametrize(
        ("phone", "masked"),
        [("13812345678", "138****5678"), (" 13812345678 ", "138****5678"), ("0519-88881234", "051****1234")],
    )
    def test_examples(self, phone: str, masked: str) -> None:
        assert mask_phone(phone) == masked

    def test_short_values_are_fully_masked(self) -> None:
        assert mask_phone("110") == "***"


class TestMaskAddress:
    @pytest.mark.parametrize(
        ("address", "masked"),
        [
            ("江苏省常州市天宁区青洋北路1号", "江苏省常州市天宁区****"),
            ("北京市朝阳区建国路88号", "北京市朝阳区****"),
            ("上海市浦东新区世纪大道100号", "上海市浦东新区****"),
            ("江苏省昆山市玉山镇工业区8号", "江苏省昆山市****"),
            ("江苏省常州市溧阳市天目湖镇某村", "江苏省常州市溧阳市****"),
            ("内蒙古自治区锡林郭勒盟锡林浩特市某街1号", "内蒙古自治区锡林郭勒盟锡林浩特市****"),
            ("新疆维吾尔自治区乌鲁木齐市天山区解放路", "新疆维吾尔自治区乌鲁木齐市天山区****"),
            ("青洋北路1号", "****"),
            ("", ""),
        ],
    )
    def test_examples(self, address: str, masked: str) -> None:
        assert mask_address(address) == masked

    def test_house_number_never_survives(self) -> None:
        assert "1号" not in mask_address("江苏省常州市天宁区青洋北路1号")
