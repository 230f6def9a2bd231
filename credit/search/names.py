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
from pypinyin import Style, lazy_pinyin

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
    core = normalize_name(text)
    stripped = True
    while stripped:
        stripped = False
        for suffix in COMPANY_FORM_SUFFIXES:
            if core.endswith(suffix) and len(core) - len(suffix) >= _MIN_CORE_LENGTH:
                core = core[: -len(suffix)]
                stripped = True
                break
    return core


def pinyin_full(text: str) -> str:
    """Toneless pinyin of the normalised name, without spaces: 重庆银行 → chongqingyinhang.

    Polyphonic characters take pypinyin's default (phrase-aware) reading; latin letters and digits
    pass through unchanged (lower-cased by the normalisation).
    """
    return "".join(lazy_pinyin(normalize_name(text))).lower()


def pinyin_initials(text: str) -> str:
    """First letter of each syllable (zh/ch/sh count as z/c/s): 重庆银行 → cqyh; latin runs pass through."""
    return "".join(lazy_pinyin(normalize_name(text), style=Style.FIRST_LETTER)).lower()


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
