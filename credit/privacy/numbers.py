"""Identifiers inside free text, in every usual spelling: resident ID numbers, phone numbers, bank
cards and e-mail addresses.

Texts are scanned in a folded copy (`fold`): full-width digits, letters and punctuation become ASCII,
ideographic and zero-width spaces become spaces and every dash a hyphen, one character for one, so a
finding's span is the same in the folded copy and in the text as written, and the text keeps its own
characters everywhere else.

Numbers are found as *runs*: digits with up to three separators (space, hyphen, dot, slash,
parentheses) between them, and an optional leading + or ( for international and area-code forms. A
run is cut into its digit groups, and the longest consecutive groups that form an identifier are
masked, left to right, so 3-4-4 and 6-8-4 groupings, +86 / 0086 prefixes and two numbers written
side by side are all found:

- resident ID numbers (GB 11643-1999), 18 characters with a check character (x in either case), and
  the 15-digit numbers issued before 1999;
- mobile numbers (1[3-9] and 9 digits), with or without +86 / 0086;
- landlines with their area code (0519-88881234, (0519)8888 1234, +86 519 8888 1234);
- any other number of 5 to 12 digits right after a contact word (电话, 手机, 联系, Tel, QQ, 微信);
- bank-card numbers: 16 to 19 digits that pass the Luhn check or carry the UnionPay prefix 62
  (金融账户, sensitive personal information under 《个人信息保护法》 第二十八条);
Two numbers written together with nothing at all between them are one group of digits: found only
when the whole group is one identifier (a licence number such as JY3204022024123456789 stays).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from credit import clock
from credit.subjects.masking import MASK, mask_id_number, mask_phone


class Finding(NamedTuple):
    """A span of the text to replace; the lower `rank` wins where findings overlap."""

    start: int
    end: int
    replacement: str
    rank: int


#: Ranks of the kinds of finding (where two overlap, the lower wins).
EMAIL_RANK = 0
NUMBER_RANK = 1
PERSON_RANK = 2

# Folding: one character for one, so spans carry over to the text as written.
_FOLD: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII
_FOLD.update({cp: 0x20 for cp in (0x00A0, 0x2002, 0x2003, 0x2009, 0x200B, 0x200C, 0x200D, 0x2060, 0x3000, 0xFEFF)})
_FOLD.update({cp: 0x2D for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0x30FC)})
_FOLD.update({cp: 0x2E for cp in (0x00B7, 0x2022, 0x2027, 0x30FB, 0xFF65)})
_FOLD.update({0x3010: 0x28, 0x3011: 0x29})  # 【 】


# Full-width parentheses, commas and colons are everyday Chinese punctuation, which the patterns
# accept as they are: a text is folded only when it holds something they do not (full-width digits,
# letters, @ or +, odd spaces and dashes), so most texts are scanned as written.
_PUNCTUATION = frozenset(map(ord, "（），：；。！？、《》“”‘’"))
_FOLDED = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD) if cp not in _PUNCTUATION) + "]")


def fold(text: str) -> str:
    """The text with full-width ASCII, odd spaces and dashes folded, one character for one."""
    return text.translate(_FOLD) if _FOLDED.search(text) else text


# At least `_MIN_DIGITS` digits close together: only then can a text hold an identifier.
_DIGITS = re.compile(r"[0-9](?:[ \-./()（）]{0,3}[0-9]){4}")
_RUN = re.compile(r"[+(（]{0,2}[0-9](?:[ \-./()（）]{0,3}[0-9])*(?:[ \-]?[Xx](?![A-Za-z]))?")
_GROUP = re.compile(r"[0-9]+(?:[ \-]?[Xx])?")
_CONTACT = re.compile(r"(?:电话|手机|联系|座机|热线|微信|tel|phone|mobile|qq|wechat)[^0-9]{0,6}$", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_MAX_DIGITS = 21  # the longest identifier with a country prefix
_MIN_DIGITS = 5

#: The province-level parts of the address code (GB/T 2260) that begin a resident ID number,
#: including Taiwan (71), Hong Kong (81), Macao (82) and the residence permits of Taiwan (83).
_PROVINCES = frozenset(str(n) for n in (
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
))  # fmt: skip


def _born(number18: str) -> bool:
    """A possible birth date (1880 up to this year) in an 18-character number.

    python-stdnum's `ric.validate` is stricter than masking needs: it also demands the right check
    character and a county code that stdnum knows for the birth year. A number with a mistyped check
    character, or issued by a county since renamed, still identifies its holder, so only stdnum's
    birth-date reading (`get_birth_date`) and the province are used here."""
    try:
        born = ric.get_birth_date(number18)
    except (ValidationError, ValueError):
        return False
    return 1880 <= born.year <= clock.today().year


def resident_id(digits: str) -> str | None:
    """The 18-character form of a resident ID number written as `digits` (18 characters, or the 15
    digits of a number issued before 1999, widened with its century), None when it cannot be one."""
    if digits[:2] not in _PROVINCES:
        return None
    if len(digits) == 18 and digits[:17].isdigit() and (digits[17].isdigit() or digits[17] in "Xx"):
        number = digits.upper()
    elif len(digits) == 15 and digits.isdigit():
        # stdnum knows only the 18-character form: widen the old number (its years are 19xx).
        body = digits[:6] + "19" + digits[6:]
        number = body + ric.calc_check_digit(body + "0")
    else:
        return None
    return number if _born(number) else None


def _mask_all_but_last(digits: str, keep: int = 4) -> str:
    return MASK * max(len(digits) - keep, 0) + digits[-keep:]


def classify(digits: str, *, international: bool, after_letter: bool, contact: bool, weak: bool = True) -> str | None:
    """The masked form of a number written as `digits`, None when it is no identifier. Strong kinds
    (ID numbers, mobiles, landlines: fixed structure) are told first; `weak` adds bank cards (one
    random number in ten passes the Luhn check) and numbers after a contact word."""
    if digits.startswith("0086"):
        digits, international = digits[4:], True
    elif international and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and _MOBILE.fullmatch(digits):
        return mask_phone(digits)
    if international:
        if 9 <= len(digits) <= 11 and digits[0] != "0":
            return mask_phone("0" + digits)
        return None
    if len(digits) in (15, 18):
        number = resident_id(digits)
        if number is not None:
            return mask_id_number(number)
    if digits[0] == "0" and digits[1:2] != "0" and 10 <= len(digits) <= 12 and digits.isdigit():
        return mask_phone(digits)  # a landline with its area code
    if not weak:
        return None
    if 16 <= len(digits) <= 19 and digits.isdigit() and not after_letter:
        is_code = len(digits) == 18 and uscc.is_valid(digits)
        if not is_code and (digits.startswith("62") or luhn.is_valid(digits)):
            return digits[:4] + MASK * (len(digits) - 8) + digits[-4:]
    if contact and _MIN_DIGITS <= len(digits) <= 12 and digits.isdigit():
        return _mask_all_but_last(digits)
    return None


_Group = tuple[int, int, str]  # start, end, digits


def _longest(
    groups: list[_Group], i: int, international: bool, after_letter: bool, contact: bool
) -> tuple[int, str] | None:
    """From group i, the longest run of groups that is an identifier (its end and masked form): strong
    kinds first, so a 15-digit ID number and the first digits of a phone after it never pass for a card."""
    for weak in (False, True):
        for j in range(len(groups), i, -1):
            digits = "".join(g[2] for g in groups[i:j])
            if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
                continue
            masked = classify(
                digits, international=international, after_letter=after_letter, contact=contact, weak=weak
            )
            if masked is not None:
                return j, masked
    return None


def number_findings(shadow: str) -> list[Finding]:
    """Identifiers in the folded text `shadow`, each with its masked form."""
    found: list[Finding] = []
    for run in _RUN.finditer(shadow):
        text = run.group()
        start = run.start()
        groups = [(g.start() + start, g.end() + start, re.sub(r"[ \-]", "", g.group())) for g in _GROUP.finditer(text)]
        if sum(len(g[2]) for g in groups) < _MIN_DIGITS:
            continue
        lead = text[: len(text) - len(text.lstrip("+(（"))]
        international = "+" in lead
        after_letter = start > 0 and shadow[start - 1].isascii() and shadow[start - 1].isalpha()
        contact = _CONTACT.search(shadow, max(0, start - 16), start) is not None
        i = 0
        while i < len(groups):
            taken = _longest(groups, i, international and i == 0, after_letter and i == 0, contact)
            if taken is None:
                i += 1
                continue
            j, masked = taken
            begin = start if i == 0 else groups[i][0]  # a leading + or ( goes with the number
            found.append(Finding(begin, groups[j - 1][1], masked, NUMBER_RANK))
            i = j
    return found


def email_findings(shadow: str) -> list[Finding]:
    """E-mail addresses: the first character of the mailbox and the domain stay (z***@example.cn)."""
    found = []
    for match in _EMAIL.finditer(shadow):
        mailbox, _, domain = match.group().partition("@")
        found.append(Finding(match.start(), match.end(), f"{mailbox[:1]}{MASK * 3}@{domain}", EMAIL_RANK))
    return found


def has_digit(shadow: str) -> bool:
    """Whether the folded text has enough digits close together to hold an identifier."""
    return _DIGITS.search(shadow) is not None


def splice(text: str, findings: list[Finding]) -> str:
    """`text` with the findings replaced; of overlapping findings the lower rank (then the longer,
    then the earlier) wins."""
    if not findings:
        return text
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.rank, -(f.end - f.start), f.start)):
        if all(finding.end <= other.start or finding.start >= other.end for other in chosen):
            chosen.append(finding)
    chosen.sort(key=lambda f: f.start)
    parts: list[str] = []
    position = 0
    for finding in chosen:
        parts.append(text[position : finding.start])
        parts.append(finding.replacement)
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)
