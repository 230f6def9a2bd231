"""Personal data inside free text (credit/subjects/masking.py: mask_identifiers, redact)."""

from __future__ import annotations

import pytest

from credit.subjects.masking import mask_identifiers, person_replacements, redact

pytestmark = pytest.mark.unit

PERSON_ID = "32040219900101128X"  # a valid resident ID number (check character X)


class TestMaskIdentifiers:
    def test_valid_id_numbers_and_mobile_numbers_are_masked(self) -> None:
        text = f"当事人张三（身份证号{PERSON_ID}，电话13812345678）"
        assert mask_identifiers(text) == "当事人张三（身份证号3204**********128X，电话138****5678）"

    def test_codes_that_are_not_id_numbers_stay(self) -> None:
        uscc = "91320402MA1N2X3Y4K"
        invalid = "320402199001011230"  # wrong check digit
        licence = "JY3204022024123456789"  # a longer run of digits
        for text in (uscc, invalid, licence, "(2024)苏04执2040号"):
            assert mask_identifiers(text) == text


class TestRedact:
    def test_a_person_s_values_are_replaced_by_their_masked_forms(self) -> None:
        replacements = person_replacements(
            "张三丰", PERSON_ID, "13812345678", "江苏省常州市天宁区青洋北路1号", ["张君宝"]
        )
        title = "关于将张三丰（曾用名张君宝，住江苏省常州市天宁区青洋北路1号）纳入失信被执行人名单的决定书"
        assert (
            redact(title, replacements)
            == "关于将张**（曾用名张**，住江苏省常州市天宁区****）纳入失信被执行人名单的决定书"
        )

    def test_lower_case_check_character(self) -> None:
        replacements = person_replacements("李四", PERSON_ID, None, None, [])
        assert PERSON_ID.lower() not in redact(f"证件号 {PERSON_ID.lower()}", replacements)
