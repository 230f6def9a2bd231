"""Patterns of a person's name, address and phone number as they may be written in free text.

A name is matched in any script and spacing: each character in its simplified and traditional forms
(OpenCC: the character itself, its conversions, and every traditional character that converts to it,
so 丰 also matches 豐 and 发 both 發 and 髮), with up to three spaces or punctuation marks between
characters (张 三, 张·三, 張-三); and in pinyin (pypinyin), every reading of every character, with or
without tone marks or tone numbers, ü as ü, v, u or yu, in any case, joined or with spaces, hyphens or
apostrophes, surname first or last (zhangsan, Zhang San, ZHANG-San, Zhāng Sān, zhang1 san1, San Zhang).
Patterns run on the folded text (`credit.privacy.numbers.fold`), where full-width letters are ASCII.
"""

from __future__ import annotations

import re
from functools import cache

import opencc
from pypinyin import Style, pinyin

from credit.privacy.numbers import fold
from credit.subjects.masking import COMPOUND_SURNAMES

# Between the characters of a name: spaces and punctuation, at most three.
_HAN_GAP = r"[\s.,;:'\"`~_*/|\\()\[\]{}<>+=\-、，。；：“”‘’《》「」『』〈〉…（）—–·]{0,3}"
# Between pinyin syllables: spaces, hyphens, dots, apostrophes, underscores, at most two.
_LATIN_GAP = r"[\s\-.'’`_]{0,2}"
_LATIN = r"A-Za-z\u00C0-\u024F"
_HAN = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]")
_CONVERSIONS = ("s2t", "t2s", "s2tw", "s2hk", "tw2s", "hk2s")
# The CJK Unified Ideographs whose traditional forms OpenCC converts (U+4E00–U+9FFF).
_BLOCK = range(0x4E00, 0xA000)


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def _traditional_forms() -> dict[str, frozenset[str]]:
    """Simplified character → the characters that convert to it (发 → 發, 髮). Built once per process
    (about 0.1 s), one conversion of the whole block per configuration, a character per line so that
    no phrase rule applies."""
    chars = [chr(cp) for cp in _BLOCK]
    forms: dict[str, set[str]] = {}
    for config in ("t2s", "tw2s", "hk2s"):
        converted = _converter(config).convert("\n".join(chars)).split("\n")
        if len(converted) != len(chars):  # a conversion that joined lines: skip it rather than misalign
            continue
        for char, simple in zip(chars, converted, strict=True):
            if char != simple and len(simple) == 1:
                forms.setdefault(simple, set()).add(char)
    return {simple: frozenset(chars) for simple, chars in forms.items()}


@cache
def han_variants(char: str) -> frozenset[str]:
    """The forms of one character in the scripts OpenCC knows."""
    found = {char}
    for config in _CONVERSIONS:
        converted = _converter(config).convert(char)
        if len(converted) == 1:
            found.add(converted)
    forms = _traditional_forms()
    for simple in list(found):
        found |= forms.get(simple, frozenset())
    return frozenset(found)


def _char_class(chars: frozenset[str]) -> str:
    if len(chars) == 1:
        return re.escape(next(iter(chars)))
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def han_pattern(text: str) -> str:
    """`text` in any script, with spaces or punctuation allowed between its characters."""
    chars = [c for c in fold(text) if not c.isspace()]
    return _HAN_GAP.join(_char_class(han_variants(c)) if _HAN.match(c) else re.escape(c) for c in chars)


@cache
def syllables(char: str) -> frozenset[str]:
    """Every way of writing the readings of one character in pinyin (empty when it has none)."""
    if not _HAN.match(char):
        return frozenset()
    found: set[str] = set()
    for style in (Style.NORMAL, Style.TONE, Style.TONE3):
        for reading in pinyin(char, style=style, heteronym=True)[0]:
            if reading == char:
                return frozenset()  # pypinyin does not know the character
            found.add(reading.lower())
    for reading in list(found):
        if "v" in reading:  # pypinyin writes ü as v in the plain styles
            found.update(reading.replace("v", other) for other in ("ü", "u", "yu", "u:"))
    return frozenset(found)


def _syllable(char: str) -> str | None:
    forms = syllables(char)
    if not forms:
        return None
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


def pinyin_pattern(name: str) -> str | None:
    """The name in pinyin, surname first or last; None when a character has no reading."""
    chars = [c for c in fold(name) if not c.isspace()]
    parts = [_syllable(c) for c in chars]
    if len(parts) < 2 or any(p is None for p in parts):
        return None
    syllable_parts = [p for p in parts if p is not None]
    keep = 2 if "".join(chars[:2]) in COMPOUND_SURNAMES and len(chars) > 2 else 1
    surname, given = syllable_parts[:keep], syllable_parts[keep:]
    orders = [_LATIN_GAP.join(surname + given), _LATIN_GAP.join(given + surname)]
    body = "|".join(f"(?:{order})" for order in orders)
    return f"(?<![{_LATIN}])(?i:{body})(?![{_LATIN}])"


def name_patterns(name: str) -> list[str]:
    """The patterns of a name: in characters (any script, spaced) and in pinyin."""
    name = name.strip()
    if len([c for c in name if not c.isspace()]) < 2:
        return []  # a one-character name would mask that character everywhere
    patterns = [han_pattern(name)]
    latin = pinyin_pattern(name)
    if latin is not None:
        patterns.append(latin)
    return patterns


def digits_pattern(value: str) -> str | None:
    """A phone number as written in any grouping (its digits with separators between them)."""
    digits = [c for c in fold(value) if c.isdigit()]
    if len(digits) < 5:
        return None
    return r"(?<![0-9])" + r"[ \-./()]{0,3}".join(digits) + r"(?![0-9])"


def _first(text: str) -> str | None:
    chars = [c for c in fold(text) if not c.isspace()]
    return chars[0] if chars else None


def starts(text: str) -> frozenset[str]:
    """The characters a match of `han_pattern(text)` or `digits_pattern(text)` can begin with."""
    first = _first(text)
    if first is None:
        return frozenset()
    return han_variants(first) if _HAN.match(first) else frozenset({first})


def name_starts(name: str) -> frozenset[str]:
    """The characters a match of `name_patterns(name)` can begin with (either script, either order)."""
    chars = [c for c in fold(name) if not c.isspace()]
    if not chars:
        return frozenset()
    found = set(han_variants(chars[0])) if _HAN.match(chars[0]) else {chars[0]}
    keep = 2 if "".join(chars[:2]) in COMPOUND_SURNAMES and len(chars) > 2 else 1
    for char in (chars[0], chars[min(keep, len(chars) - 1)]):
        for form in syllables(char):
            found.update((form[0], form[0].upper()))
    return frozenset(found)
