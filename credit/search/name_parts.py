"""The parts of an organisation's name, and pinyin typed in pieces: what lets `xczn`, `星辰zn` or
`xingchen智能` find 常州星辰智能科技有限公司.

A business name is 行政区划 + 字号 + 行业或经营特点 + 组织形式 (企业名称登记管理规定, 2020, art. 6): the
place (at the start, or in brackets after the 字号: 星辰智能科技（常州）有限公司), the trade name, the
industry and the legal form. People type the trade name, often with the first industry words, and
seldom the place or the form. `split_name` finds the parts:

- the form: `COMPANY_FORM_SUFFIXES` (credit.search.names) and the other form words of
  `search_config/name_words.json` (合作社, 律师事务所 …), stripped from the end, repeatedly;
- the place: current divisions' names, short forms and full names (`credit.subjects.regions.place_names`),
  in brackets anywhere or at the start, a second one only inside the first (江苏常州, 常州天宁);
- the industry: words of `name_words.json` stripped from the end, repeatedly, the longest first, and a
  word made of shorter ones split into them (智能科技 → 智能, 科技; 生态农业 → 生态, 农业);
- the trade name: what remains, never fewer than 2 characters (a place or an industry word that would
  leave less is the trade name: 东方科技有限公司's trade name is 东方).

A wrong split costs little: the whole name and its core are indexed as before, the parts only add
forms to find it by.

`latin_units` reads a latin run as pinyin syllables where it can (xingchen → xing chen) and as
initials where it cannot (zn → z n), so that mixed input is folded to the indexed initials or pinyin.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from credit.search.names import COMPANY_FORM_SUFFIXES, normalize_name, romanise
from credit.subjects.regions import place_names

_MIN_TRADE = 2
_BRACKETED = re.compile(r"\(([^()]*)\)")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_RUN = re.compile(r"[a-z]+|[0-9]+|[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class NameParts:
    """An organisation's name split into its parts, each in normalised form (credit.search.names)."""

    place: str
    trade: str
    industry: tuple[str, ...]
    form: str

    @property
    def typed(self) -> tuple[str, ...]:
        """What people type for it: the trade name, then with each further industry word
        (星辰, 星辰智能, 星辰智能科技)."""
        forms = [self.trade]
        for word in self.industry:
            forms.append(forms[-1] + word)
        return tuple(forms)


@functools.cache
def _words() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files("search_config").joinpath("name_words.json").read_text("utf-8"))
    return data


@functools.cache
def _industries() -> tuple[str, ...]:
    return tuple(sorted(set(_words()["industries"]), key=len, reverse=True))


@functools.cache
def _forms() -> tuple[str, ...]:
    return tuple(sorted({*COMPANY_FORM_SUFFIXES, *_words()["forms"]}, key=len, reverse=True))


@functools.cache
def _places() -> dict[str, tuple[str, ...]]:
    places = {normalize_name(name): prefixes for name, prefixes in place_names().items()}
    for name in _words()["places"]:
        places[normalize_name(name)] = ("",)  # national: every division is inside it
    return places


@functools.cache
def _place_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(name) for name in _places()}, reverse=True))


def _fold_keeping_brackets(name: str) -> str:
    """`normalize_name`, but with round brackets kept (full-width ones folded by NFKC)."""
    folded = unicodedata.normalize("NFKC", name).replace("[", "(").replace("]", ")")
    folded = folded.replace("【", "(").replace("】", ")")
    return "".join(normalize_name(part) if part not in "()" else part for part in re.split(r"([()])", folded))


def _leading_place(text: str, inside: tuple[str, ...] | None) -> tuple[str, tuple[str, ...]] | None:
    """The longest place name `text` starts with (inside one of the prefixes `inside`, when given)."""
    places = _places()
    for length in _place_lengths():
        if length > len(text) - _MIN_TRADE:
            continue
        prefixes = places.get(text[:length])
        if prefixes is None:
            continue
        if inside is not None:
            prefixes = tuple(p for p in prefixes if any(p.startswith(outer) and p != outer for outer in inside))
            if not prefixes:
                continue
        return text[:length], prefixes
    return None


def _strip_forms(text: str) -> tuple[str, str]:
    """(what precedes the form, the form); a branch's place after its form goes with the form
    (星辰科技有限公司天宁分公司 → 星辰科技, 有限公司天宁分公司)."""
    core, form = text, ""
    while True:
        suffix = _longest_suffix(core, _forms())
        if suffix is None:
            return core, form
        core, form = core[: -len(suffix)], suffix + form
        for length in _place_lengths():  # 天宁 in 有限公司天宁分公司
            if length <= len(core) - _MIN_TRADE and core[-length:] in _places():
                before = core[:-length]
                if any(before.endswith(f) for f in _forms()):
                    core, form = before, core[-length:] + form
                break


@functools.cache
def _by_length(words: tuple[str, ...]) -> tuple[tuple[int, frozenset[str]], ...]:
    lengths = sorted({len(w) for w in words}, reverse=True)
    return tuple((n, frozenset(w for w in words if len(w) == n)) for n in lengths)


def _longest_suffix(text: str, words: tuple[str, ...]) -> str | None:
    """The longest of `words` that `text` ends with, leaving at least a trade name's length before it."""
    for length, group in _by_length(words):
        if len(text) - length >= _MIN_TRADE and text[-length:] in group:
            return text[-length:]
    return None


@functools.lru_cache(maxsize=1 << 10)
def _decomposed(word: str) -> tuple[str, ...]:
    """An industry word as the shorter industry words it is made of, when it is (生态农业 → 生态, 农业;
    投资管理 → 投资, 管理), so that each prefix people type (卓健生态) is indexed; else the word itself."""
    known = set(_industries())
    for cut in range(len(word) - 1, 0, -1):
        head, tail = word[:cut], word[cut:]
        if tail in known and head in known:
            return (*_decomposed(head), tail)
    return (word,)


@functools.lru_cache(maxsize=1 << 15)
def split_name(name: str) -> NameParts:
    """The place, trade name, industry and form of an organisation's name (see the module's doc)."""
    text = _fold_keeping_brackets(name)
    places: list[str] = []
    for match in _BRACKETED.finditer(text):
        if match.group(1) in _places():
            places.append(match.group(1))
    text = _BRACKETED.sub(lambda m: "" if m.group(1) in _places() else m.group(1), text).replace("(", "")
    text = text.replace(")", "")
    core, form = _strip_forms(text)
    industry: list[str] = []
    while True:
        word = _longest_suffix(core, _industries())
        if word is None:
            break
        industry[:0] = _decomposed(word)
        core = core[: -len(word)]
    leading: list[str] = []
    inside: tuple[str, ...] | None = None
    while (found := _leading_place(core, inside)) is not None:
        leading.append(found[0])
        core, inside = core[len(found[0]) :], found[1]
    return NameParts("".join(leading + places), core, tuple(industry), form)


@functools.cache
def _syllables() -> frozenset[str]:
    """Toneless pinyin syllables (ü written v, as pypinyin's NORMAL style writes it), from pypinyin's
    dictionary; interjections without a vowel (n, ng, hm) are left out: typed alone they are initials."""
    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            syllable = to_normal(reading, v_to_u=False)
            if syllable.isascii() and syllable.isalpha() and any(v in syllable for v in "aeiouv"):
                found.add(syllable)
    return frozenset(found)


_LONGEST_SYLLABLE = 6


@functools.lru_cache(maxsize=1 << 12)
def latin_units(run: str) -> tuple[tuple[str, bool], ...]:
    """A lower-case latin run as pinyin units, each (text, whether a whole syllable): whole syllables
    where they cover the run (xingchen → xing, chen), single letters (initials) where they do not,
    with as few single letters as possible, then as few units as possible (xian → xian, not xi an)."""
    syllables = _syllables()
    n = len(run)
    # best[i]: (single letters, units, split) for run[i:]
    best: list[tuple[int, int, tuple[tuple[str, bool], ...]]] = [(0, 0, ())] * (n + 1)
    for i in range(n - 1, -1, -1):
        letter = best[i + 1]
        options = [(letter[0] + 1, letter[1] + 1, ((run[i], False), *letter[2]))]
        for j in range(i + 1, min(n, i + _LONGEST_SYLLABLE) + 1):
            if run[i:j] in syllables:
                rest = best[j]
                options.append((rest[0], rest[1] + 1, ((run[i:j], True), *rest[2])))
        # fewest single letters, then fewest units, then the longest first syllable (changan → chang an)
        best[i] = min(options, key=lambda option: (option[0], option[1], -len(option[2][0][0])))
    return best[0][2]


@dataclass(frozen=True, slots=True)
class TypedForms:
    """A query folded to the indexed romanised forms: its full pinyin (None when a latin part is not
    whole syllables) and its initials (None when there is nothing to fold: pure hanzi or pure pinyin,
    which the plain pinyin and name clauses already cover)."""

    pinyin: str | None
    initials: str | None
    hanzi: tuple[str, ...]  # the hanzi runs of a mixed query, for relevance


def typed_forms(normalized: str) -> TypedForms:
    """Fold mixed input: 星辰zn → initials xczn; xingchen智能 → pinyin xingchenzhineng, initials xczn;
    xingchenzn (pinyin then initials) → initials xczn."""
    runs = _LATIN_RUN.findall(normalized)
    han_runs = [run for run in runs if _HAN.search(run)]
    latin = [latin_units(run) for run in runs if run.isascii() and run.isalpha()]
    mixed_latin = any(any(whole for _, whole in units) and not all(whole for _, whole in units) for units in latin)
    if not (han_runs and latin) and not mixed_latin:
        return TypedForms(None, None, ())
    full: list[str] | None = []
    initials: list[str] = []
    for run in runs:
        if run.isascii() and run.isalpha():
            units = latin_units(run)
            initials.append("".join(text[0] for text, _ in units))
            if full is not None and all(whole for _, whole in units):
                full.append(run)
            else:
                full = None
        elif run.isascii():  # digits pass through romanisation unchanged
            initials.append(run)
            if full is not None:
                full.append(run)
        else:
            pinyin, first_letters = romanise(run)
            initials.append(first_letters)
            if full is not None:
                full.append(pinyin)
    return TypedForms("".join(full) if full is not None else None, "".join(initials), tuple(han_runs))
