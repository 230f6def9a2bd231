"""Query types of bench.search_quality typed from a company's trade name (字号), as people type it:
without the place in front and often without the form at the end.

The ground truth is the generator's own: `creditgraph.demo.generator.trade_names` gives the 字号 and
the industry each company name was composed from (常州星辰智能科技有限公司 → 星辰, 智能科技), so the
labels do not depend on how the search splits names. A query is made from the 字号 followed by none,
the first two, or all characters of the industry ("the typed text": 星辰, 星辰智能, 星辰智能科技):

- trade_pinyin: its full pinyin (xingchen, xingchenzhineng);
- trade_initials: its pinyin initials (xc, xczn, xcznkj; hwjs for 深圳市华为技术有限公司);
- mixed: hanzi and pinyin mixed at a character boundary, one side in hanzi and the other in full
  pinyin or initials (星辰zn, xingchen智能, xc智能科技, 星辰zhineng).

Labels: every company whose typed text, for any of the three lengths, gives the same query (`xc` is
every 字号 with those initials: such queries are genuinely ambiguous), plus every subject whose name
or core romanises to it (as for the pinyin and initials types).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Protocol

from pypinyin import Style, lazy_pinyin

TRADE_TYPES = ("trade_pinyin", "trade_initials", "mixed")


class Source(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def trade(self) -> str: ...
    @property
    def industry(self) -> str: ...


def typed_texts(trade: str, industry: str) -> list[str]:
    """The texts typed for a company: 字号, 字号 and the industry's first two characters, 字号 and industry."""
    return list(dict.fromkeys(trade + industry[:k] for k in (0, 2, len(industry))))


def _syllables(text: str) -> list[str]:
    """One toneless pinyin syllable per character (latin letters and digits stand for themselves)."""
    # pypinyin accepts a list from `errors` (one item per character); its stubs say str
    readings = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars))  # type: ignore[arg-type,return-value]
    return [reading.lower() for reading in readings] if len(readings) == len(text) else [c for c in text.lower()]


def _render(text: str, cut: int, style: str) -> str:
    """`text` with the characters before `cut` in hanzi and the rest romanised, or the other way
    round: style is (hanzi side first?) + (romanised as "full" or "initials")."""
    syllables = _syllables(text)
    romanised = [s if "full" in style else s[:1] for s in syllables]
    if style.startswith("hanzi"):
        return text[:cut] + "".join(romanised[cut:])
    return "".join(romanised[:cut]) + text[cut:]


MIXED_STYLES = ("hanzi+full", "hanzi+initials", "full+hanzi", "initials+hanzi")


class TradeLabels:
    """Companies by the pinyin and the initials of each of their typed texts."""

    def __init__(self, companies: Iterable[Source], by_form: dict[str, set[int]]) -> None:
        self.companies = [c for c in companies if len(c.trade) >= 2]
        self.by_form = by_form
        self.pinyin: dict[str, set[int]] = defaultdict(set)
        self.initials: dict[str, set[int]] = defaultdict(set)
        self.texts: dict[int, list[str]] = {}
        for company in self.companies:
            self.texts[company.id] = typed_texts(company.trade, company.industry)
            for text in self.texts[company.id]:
                syllables = _syllables(text)
                self.pinyin["".join(syllables)].add(company.id)
                self.initials["".join(s[:1] for s in syllables)].add(company.id)

    def mixed(self, query: str, cut: int, style: str, hanzi: str) -> set[int]:
        """Companies one of whose typed texts renders as `query` with the same cut and style."""
        found: set[int] = set()
        for company in self.companies:
            for text in self.texts[company.id]:
                if hanzi not in text or len(text) <= cut:
                    continue
                if _render(text, cut, style) == query:
                    found.add(company.id)
        return found


def trade_makers(
    labels: TradeLabels, rng: random.Random
) -> dict[str, Callable[[Source], tuple[str, frozenset[int]] | None]]:
    def text_of(source: Source) -> str:
        return rng.choice(labels.texts[source.id])

    def trade_pinyin(source: Source) -> tuple[str, frozenset[int]] | None:
        query = "".join(_syllables(text_of(source)))
        return query, frozenset(labels.pinyin[query] | labels.by_form.get(query, set()))

    def trade_initials(source: Source) -> tuple[str, frozenset[int]] | None:
        query = "".join(s[:1] for s in _syllables(text_of(source)))
        return query, frozenset(labels.initials[query] | labels.by_form.get(query, set()))

    def mixed(source: Source) -> tuple[str, frozenset[int]] | None:
        text = text_of(source)
        if len(text) < 3:
            return None
        cut, style = rng.randrange(1, len(text)), rng.choice(MIXED_STYLES)
        hanzi = text[:cut] if style.startswith("hanzi") else text[cut:]
        query = _render(text, cut, style)
        return query, frozenset(labels.mixed(query, cut, style, hanzi))

    return {"trade_pinyin": trade_pinyin, "trade_initials": trade_initials, "mixed": mixed}
