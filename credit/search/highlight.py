"""Highlights of a hit: the characters of its displayed name (and former names) that the query matched,
marked `<em>…</em>`, for every form a query takes.

The engine's highlighter can only mark characters it finds in the query's own text: a pinyin query
(`xingchen`) marks nothing, and a traditional-script query against a simplified name (or the other
way round) marks the few characters both scripts share. Highlights are therefore made here, from
the display values the engine returns, with the same normalisation as the search
(credit.search.names): each displayed character is folded (NFKC, traditional → simplified, case) and
read in pinyin, and a character matches a piece of the query as itself, as its pinyin syllable, as
its initial, or — at the end of the query — as the start of its syllable (`changzhouxing` marks 常州星).

- A query matched whole marks every non-overlapping span of characters it matches: 星辰 / xingchen /
  xc / 星辰zn / 星辰zhineng all mark 星辰 (and what follows) in 常州星辰智能科技有限公司.
- Otherwise (a typo, words in another order) the query is matched piece by piece, left to right,
  each piece the longest that matches some span and at least two characters of the query (or
  the whole of a one-character query): 常州星晨智能 marks 常州星 and 智能.

The text is HTML-escaped (`<`, `>`, `&`) before it is marked, so a name cannot inject markup into a
page that shows highlights. A natural person's name is displayed masked (张*), so only the
characters shown can be marked: nothing hidden is ever matched or revealed.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from credit.search.names import char_readings, normalize_name

PRE, POST = "<em>", "</em>"
# A code or a fragment of one (digits with or without letters): matched against codes, not names.
_CODE_LIKE = re.compile(r"[0-9a-z]*[0-9]{4,}[0-9a-z]*")
_MIN_PIECE = 2


@dataclass(frozen=True, slots=True)
class _Unit:
    """One normalised character of a displayed value: itself, its pinyin, and where it is displayed."""

    char: str
    reading: str
    display: int


@functools.lru_cache(maxsize=1 << 14)
def _units(display: str) -> tuple[_Unit, ...]:
    folded: list[tuple[str, int]] = []
    for index, char in enumerate(display):
        folded += [(c, index) for c in normalize_name(char)]
    normalized = "".join(c for c, _ in folded)
    readings = char_readings(normalized) if normalized else ()
    if len(readings) != len(folded):
        readings = tuple(c for c, _ in folded)
    return tuple(_Unit(c, r, i) for (c, i), r in zip(folded, readings, strict=True))


def _steps(unit: _Unit, query: str, at: int) -> list[int]:
    """Query positions after `unit` matches the query at `at`: as itself, its syllable, its initial,
    or the start of its syllable when the query ends there."""
    ends: list[int] = []
    if query.startswith(unit.char, at):
        ends.append(at + len(unit.char))
    if unit.reading != unit.char and query.startswith(unit.reading, at):
        ends.append(at + len(unit.reading))
    if unit.reading != unit.char and query[at] == unit.reading[0] and at + 1 not in ends:
        ends.append(at + 1)
    rest = query[at:]
    if unit.reading != unit.char and len(rest) > 1 and unit.reading.startswith(rest) and len(query) not in ends:
        ends.append(len(query))
    return ends


def _span_from(units: Sequence[_Unit], start: int, query: str, begin: int, end: int) -> int | None:
    """The end (exclusive) of the shortest span of units from `start` that matches query[begin:end]."""
    piece = query[:end]
    frontier = {begin}
    index = start
    while frontier and index < len(units):
        following: set[int] = set()
        for at in frontier:
            following.update(e for e in _steps(units[index], piece, at) if e <= end)
        index += 1
        if end in following:
            return index
        frontier = {at for at in following if at < end}
    return None


def _whole(units: Sequence[_Unit], query: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(units):
        stop = _span_from(units, start, query, 0, len(query))
        if stop is None:
            start += 1
        else:
            spans.append((start, stop))
            start = stop
    return spans


def _longest_from(units: Sequence[_Unit], start: int, query: str, begin: int) -> tuple[int, int]:
    """How far into the query (from `begin`) the units from `start` match, and where that match ends."""
    frontier, index, best = {begin}, start, (begin, start)
    while frontier and index < len(units):
        frontier = {e for at in frontier if at < len(query) for e in _steps(units[index], query, at)}
        index += 1
        if frontier:
            best = max(best, (max(frontier), index))
    return best


def _pieces(units: Sequence[_Unit], query: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    begin = 0
    while begin < len(query):
        far, stop, start = max(
            ((*_longest_from(units, i, query, begin), -i) for i in range(len(units))), default=(0, 0, 0)
        )
        reached, start = far, -start
        # a piece is two characters of the query at least, or one hanzi (the engine's unit of match)
        if reached - begin >= _MIN_PIECE or (reached - begin == 1 and not query[begin].isascii()):
            spans.append((start, stop))
            begin = reached
        else:
            begin += 1
    return spans


def _marked(display: str, units: Sequence[_Unit], spans: Iterable[tuple[int, int]]) -> str:
    marked = {units[i].display for start, stop in spans for i in range(start, stop)}
    out: list[str] = []
    inside = False
    for index, char in enumerate(display):
        if (index in marked) != inside:
            out.append(PRE if not inside else POST)
            inside = not inside
        out.append(html.escape(char, quote=False))
    if inside:
        out.append(POST)
    return "".join(out)


def highlights(query: str, values: Sequence[str]) -> tuple[str, ...]:
    """The displayed values (name, then former names) that the query matched, each marked."""
    folded = normalize_name(query)
    if not folded or _CODE_LIKE.fullmatch(folded):
        return ()
    prepared = [(value, _units(value)) for value in values if value]
    matched = [(value, units, _whole(units, folded)) for value, units in prepared]
    if not any(spans for _, _, spans in matched) and len(folded) > 1:
        matched = [(value, units, _pieces(units, folded)) for value, units in prepared]
    return tuple(_marked(value, units, spans) for value, units, spans in matched if spans)
