"""Identifier checks answer on every input (property tests) and accept ID numbers as GB 11643 has them."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from credit.enums import SubjectKind
from credit.subjects.identifiers import (
    ABOLISHED_BEFORE_BIRTH,
    InvalidIdentifier,
    check_resident_id,
    code_warnings,
    is_resident_id,
    is_uscc,
    normalize_any_code,
    normalize_code,
)
from credit.subjects.regions import county_periods, division_codes

pytestmark = pytest.mark.unit

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
AGENCY = "113307811104157685"  # digits only; its digits also pass the ID number's check digit
LIYANG_1978 = "320481197812140786"  # 溧阳市 (320481) exists since 1990: coded after the holder's birth


def with_uscc_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def with_ric_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def answers(value: str) -> None:
    """Every public check returns (or raises InvalidIdentifier) for `value`."""
    canonical = normalize_any_code(value)
    assert canonical is None or isinstance(canonical, str)
    assert isinstance(is_uscc(value), bool)
    assert isinstance(is_resident_id(value), bool)
    for kind in SubjectKind:
        with contextlib.suppress(InvalidIdentifier):
            normalize_code(kind, value)
        assert isinstance(code_warnings(kind, value), tuple)


class TestNeverRaises:
    @given(st.text(max_size=80))
    def test_any_string(self, value: str) -> None:
        answers(value)

    @given(st.text(alphabet="0123456789X- ", min_size=15, max_size=22))
    def test_any_string_of_digits(self, value: str) -> None:
        answers(value)

    @given(
        st.text(alphabet="0123456789", min_size=8, max_size=8),  # department, type and division: digits
        st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),  # the organisation code
    )
    @settings(max_examples=300)
    def test_random_valid_usccs(self, head: str, body: str) -> None:
        code = with_uscc_check(head + body)
        answers(code)
        assert normalize_any_code(code) == code
        assert normalize_code(SubjectKind.LEGAL_PERSON, code.lower()) == code

    def test_every_division_code(self) -> None:
        """A USCC and an ID number on every code the division table has had: valid, and no crash."""
        for code in division_codes():
            organisation = with_uscc_check(f"11{code}MB0123456"[:17])
            assert normalize_any_code(organisation) == organisation
            answers(organisation)
            born = max((p.start or 1950) for p in county_periods(code))
            person = with_ric_check(f"{code}{min(born, 2000)}0101123")
            assert check_resident_id(person).number == person, code
            answers(person)

    def test_the_agency_whose_digits_crash_stdnum_ric(self) -> None:
        with pytest.raises(KeyError):  # the reason for the wrapper; when stdnum fixes it, drop this line
            ric.is_valid(AGENCY)
        assert normalize_any_code(AGENCY) == AGENCY
        assert is_uscc(AGENCY) and not is_resident_id(AGENCY)


class TestResidentIdAsGB11643HasIt:
    def test_code_newer_than_the_birth_year_is_accepted(self) -> None:
        assert not ric.is_valid(LIYANG_1978)  # python-stdnum's stricter reading
        assert normalize_code(SubjectKind.NATURAL_PERSON, LIYANG_1978) == LIYANG_1978
        assert check_resident_id(LIYANG_1978).warnings == ()

    def test_code_abolished_before_birth_is_accepted_with_a_warning(self) -> None:
        assert county_periods("412723")[-1].end == 2000
        number = with_ric_check("41272320050101001")
        checked = check_resident_id(number)
        assert checked.number == number
        assert checked.warnings == (ABOLISHED_BEFORE_BIRTH,)
        assert code_warnings(SubjectKind.NATURAL_PERSON, number) == (ABOLISHED_BEFORE_BIRTH,)
        assert number not in ABOLISHED_BEFORE_BIRTH

    def test_code_abolished_after_birth_has_no_warning(self) -> None:
        assert check_resident_id(with_ric_check("41272319780101001")).warnings == ()

    def test_lower_case_x_and_separators(self) -> None:
        body = next(b for b in (f"32040219900101{n:03d}" for n in range(200)) if with_ric_check(b).endswith("X"))
        number = with_ric_check(body)
        spaced = f"{number[:6]} {number[6:14]}-{number[14:].lower()}"
        assert normalize_code(SubjectKind.NATURAL_PERSON, spaced) == number

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            ("99999919900101123", "no division code"),  # no such division
            ("11330719900101123", "no division code"),  # a code the table never had
            ("32040219900230123", "birth date"),  # 30 February
            ("32040218790101123", "birth date"),  # before MIN_BIRTH_YEAR
            ("32040281110415123", "birth date"),  # the future
        ],
    )
    def test_refused(self, body: str, reason: str) -> None:
        with pytest.raises(InvalidIdentifier, match=reason) as raised:
            check_resident_id(with_ric_check(body))
        assert body not in str(raised.value)

    def test_future_birth_date_relative_to_today(self) -> None:
        number = with_ric_check("32040220300101123")
        with pytest.raises(InvalidIdentifier):
            check_resident_id(number)
        assert check_resident_id(number, today=dt.date(2031, 1, 1)).number == number

    def test_wrong_check_digit(self) -> None:
        number = with_ric_check("32040219900101123")
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        with pytest.raises(InvalidIdentifier, match="check character"):
            check_resident_id(wrong)

    def test_a_uscc_is_not_an_id_number(self) -> None:
        with pytest.raises(InvalidIdentifier):
            normalize_code(SubjectKind.NATURAL_PERSON, "91110000600037341L")
