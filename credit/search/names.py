"""Name normalisation shared by the document builder (index time) and the query builder (query time).

Everything the engine cannot do with documented analysis components is done here, once, in Python:
Unicode compatibility folding (full-width → half-width), traditional → simplified Chinese (OpenCC),
case folding, dropping punctuation and whitespace, stripping company-form suffixes (有限公司 …) and
romanising to pinyin (pypinyin). Index and query go through the same functions, so they agree.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc
from pypinyin import Style
from pypinyin.constants import RE_HANS
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin
from pypinyin.seg import mmseg

# Legal-form suffixes, stripped (repeatedly, longest first) from the end of a normalised name to get
# its distinctive core: 常州某某科技有限公司 → 常州某某科技. Written in normalised form (simplified, no
# brackets), because they are matched after `normalize_name`.
COMPANY_FORM_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "集团股份有限公司",
            "股份有限公司",
            "集团有限责任公司",
            "有限责任公司",
            "集团有限公司",
            "有限公司",
            "股份合作公司",
            "股份公司",
            "集团公司",
            "集团",
            "公司",
            "特殊普通合伙",
            "普通合伙",
            "有限合伙",
            "合伙企业",
            "个人独资企业",
            "厂",
        },
        key=len,
        reverse=True,
    )
)

# A core shorter than this is not distinctive enough to stand for the name (厂 in 机床厂 stays).
_MIN_CORE_LENGTH = 2
_PINYIN_LIKE = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
_PINYIN_SEPARATORS = re.compile(r"[\s'’\-]+")


@functools.cache
def _converter() -> opencc.OpenCC:
    """One OpenCC converter per process; building it loads dictionaries, so it is done once."""
    return opencc.OpenCC("t2s")


def _keep(char: str) -> bool:
    """Letters and digits of any script are kept; punctuation, symbols, whitespace and controls go."""
    return unicodedata.category(char)[0] in ("L", "N")


def normalize_name(text: str) -> str:
    """The comparable form of a name: NFKC, simplified characters, case folded, letters and digits only.

    >>> normalize_name("長江實業（集團）有限公司")
    '长江实业集团有限公司'
    >>> normalize_name("ＡＢＣ 科技·有限公司")
    'abc科技有限公司'
    """
    folded = unicodedata.normalize("NFKC", text)
    simplified = _converter().convert(folded)
    return "".join(ch for ch in simplified.casefold() if _keep(ch))


def core_name(text: str) -> str:
    """The normalised name without its company-form suffixes (常州某某科技有限公司 → 常州某某科技)."""
    return strip_company_forms(normalize_name(text))


def strip_company_forms(normalized: str) -> str:
    """`core_name` of an already normalised name (saves normalising it again)."""
    core = normalized
    stripped = True
    while stripped:
        stripped = False
        for suffix in COMPANY_FORM_SUFFIXES:
            if core.endswith(suffix) and len(core) - len(suffix) >= _MIN_CORE_LENGTH:
                core = core[: -len(suffix)]
                stripped = True
                break
    return core


# pypinyin's own segmenter and converter, used word by word. `lazy_pinyin(text)` is exactly
# `[converter.convert(word) for word in seg(text)]` flattened: a word's reading depends on the word
# alone (phrase-aware within it, never across words), so caching it per word changes nothing. Names
# share most of their words (有限公司, 科技, 常州 …), so almost every word after the first few thousand
# names is a cache hit, and the costly per-syllable style conversion runs once per distinct word.
_PINYIN = Pinyin()
_PINYIN_CONVERTER = DefaultConverter()
_WORD_CACHE_SIZE = 1 << 17
_NAME_CACHE_SIZE = 1 << 15


@functools.lru_cache(maxsize=_WORD_CACHE_SIZE)
def _word_romanised(word: str) -> tuple[str, str]:
    """(full pinyin, initials) of one segment, as `lazy_pinyin` gives them (NORMAL and FIRST_LETTER)."""
    forms = []
    for style in (Style.NORMAL, Style.FIRST_LETTER):
        items = _PINYIN_CONVERTER.convert(word, style, False, "default", True)
        forms.append("".join(reading for item in items for reading in item))
    return forms[0], forms[1]


def _segments(normalized: str) -> list[str]:
    """pypinyin's segmentation (`Pinyin().seg`). A name of Chinese characters only — most names — is
    one run for its `simple_seg` step, so it goes straight to the phrase matcher that step calls."""
    if RE_HANS.match(normalized):
        return list(mmseg.seg.cut(normalized))
    return list(_PINYIN.seg(normalized))


@functools.lru_cache(maxsize=_NAME_CACHE_SIZE)
def _romanised_words(normalized: str) -> tuple[tuple[int, str, str], ...]:
    """(end offset, full pinyin, initials) of each segment of a normalised name, in order."""
    words: list[tuple[int, str, str]] = []
    end = 0
    for word in _segments(normalized):
        end += len(word)
        words.append((end, *_word_romanised(word)))
    return tuple(words)


@functools.lru_cache(maxsize=_WORD_CACHE_SIZE)
def _word_syllables(word: str) -> tuple[str, ...]:
    """One toneless reading per character of one segment (a latin or digit run: each character itself)."""
    items = _PINYIN_CONVERTER.convert(word, Style.NORMAL, False, "default", True)
    readings = [item[0].lower() for item in items if item]
    return tuple(readings) if len(readings) == len(word) else tuple(word.lower())


@functools.lru_cache(maxsize=_NAME_CACHE_SIZE)
def char_readings(normalized: str) -> tuple[str, ...]:
    """The toneless pinyin of each character of an already normalised name, read in its words (重庆银行
    → chong qing yin hang); a latin letter or a digit reads as itself. For highlighting pinyin matches."""
    return tuple(reading for word in _segments(normalized) for reading in _word_syllables(word))


def _joined(words: tuple[tuple[int, str, str], ...]) -> tuple[str, str]:
    return "".join(w[1] for w in words).lower(), "".join(w[2] for w in words).lower()


def romanise(normalized: str) -> tuple[str, str]:
    """(full pinyin, pinyin initials) of an already normalised name, lower case, without spaces.

    The same values as `pinyin_full` and `pinyin_initials`, from one segmentation and cached word
    readings."""
    return _joined(_romanised_words(normalized))


def romanise_prefix(normalized: str, prefix_length: int) -> tuple[str, str]:
    """`romanise` of `normalized[:prefix_length]` (a core name), read in the context of the whole name.

    When the prefix ends on a word boundary of the whole name, its words are the whole name's first
    words (no second segmentation); otherwise it is romanised on its own."""
    words = _romanised_words(normalized)
    for index, (end, _, _) in enumerate(words):
        if end == prefix_length:
            return _joined(words[: index + 1])
        if end > prefix_length:
            break
    return romanise(normalized[:prefix_length])


def pinyin_full(text: str) -> str:
    """Toneless pinyin of the normalised name, without spaces: 重庆银行 → chongqingyinhang.

    Polyphonic characters take pypinyin's default (phrase-aware) reading; latin letters and digits
    pass through unchanged (lower-cased by the normalisation).
    """
    return romanise(normalize_name(text))[0]


def pinyin_initials(text: str) -> str:
    """First letter of each syllable (zh/ch/sh count as z/c/s): 重庆银行 → cqyh; latin runs pass through."""
    return romanise(normalize_name(text))[1]


def pinyin_query_form(query: str) -> str:
    """A query typed as pinyin, folded to the indexed form: 'Zhāng San' → 'zhangsan' (tone marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", query.casefold())
    toneless = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _PINYIN_SEPARATORS.sub("", unicodedata.normalize("NFKC", toneless))


def is_pinyin_like(query: str) -> bool:
    """Whether the query could be pinyin or initials: ascii letters, ignoring spaces, apostrophes and
    hyphens; digits are allowed among the letters because they pass through romanisation unchanged
    (青岛数字100食品 → qdsz100sp)."""
    return _PINYIN_LIKE.fullmatch(pinyin_query_form(query)) is not None


def name_grams(normalized: str) -> list[str]:
    """Character unigrams and bigrams of an already normalised name, in order, without duplicates."""
    grams = list(normalized) + [normalized[i : i + 2] for i in range(len(normalized) - 1)]
    return list(dict.fromkeys(grams))
