"""The one cleaning function of free text: `Redactor`, one per subject, built once and cached.

Every redactor masks the identifiers of anyone (`credit.privacy.numbers`: resident ID numbers, phone
numbers, bank cards, e-mail addresses). A subject's redactor also masks its natural persons in every
writing (`credit.privacy.names`):

- a natural person (自然人): its name and former names (张*), its address (江苏省常州市天宁区****,
  also its street part alone) and its phone number in any grouping, read from the encrypted copy;
- a 个体工商户 (统一社会信用代码 starting 92): its operator (经营者), a natural person in business
  (《民法典》 第五十四条), not the legal representative of a legal person;
- organisations: their legal representatives (法定代表人) are published with the registration
  (《企业信息公示暂行条例》) and in 双公示, so their names stay; their ID numbers and phones do not.

Patterns are compiled once per person and kept in a bounded cache (`CACHE_SIZE` persons), keyed by
the subject's blind index and content digest, so a changed subject gets a new redactor; the cache
lives in the process's memory only, as do the last `MEMO_SIZE` texts cleaned. Cleaning is total: any
string in, a string out, never an error.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from credit.enums import SubjectKind
from credit.platform.crypto import Vault
from credit.privacy.names import digits_pattern, han_pattern, name_patterns, name_starts, starts
from credit.privacy.numbers import (
    PERSON_RANK,
    Finding,
    email_findings,
    fold,
    has_digit,
    number_findings,
    splice,
)
from credit.subjects.identifiers import individual_business
from credit.subjects.masking import MASK, mask_address, mask_name, mask_phone

log = logging.getLogger("creditgraph.privacy")

CACHE_SIZE = 4096
MEMO_SIZE = 32768  # texts and their cleaned forms remembered (a few MB)
_ADDRESS_TAIL_MIN = 4  # a street part shorter than this is too common to mask on its own


class Redactor:
    """Cleans free text: identifiers of anyone, and the given person values in every writing."""

    __slots__ = ("_masks", "_pattern")

    def __init__(self, person: Sequence[tuple[str, str]] = (), starts: Iterable[str] = ()) -> None:
        """`person`: (pattern, masked form) pairs, compiled here into one alternation; `starts`: the
        characters a match can begin with (a lookahead on them lets the engine skip every other
        position at once: four times faster on a typical title)."""
        self._masks: dict[str, str] = {}
        parts = []
        for index, (pattern, masked) in enumerate(person):
            group = f"p{index}"
            parts.append(f"(?P<{group}>{pattern})")
            self._masks[group] = masked
        first = "".join(re.escape(c) for c in sorted(set(starts)))
        lead = f"(?=[{first}])" if first else ""
        self._pattern = re.compile(f"{lead}(?:{'|'.join(parts)})") if parts else None

    def __call__(self, text: str) -> str:
        if not text:
            return text
        return _memo(self, text)

    def clean(self, text: str) -> str:
        """`text` cleaned (uncached: `__call__` remembers recent answers)."""
        shadow = fold(text)
        findings: list[Finding] = []
        if has_digit(shadow):
            findings.extend(number_findings(shadow))
        if "@" in shadow:
            findings.extend(email_findings(shadow))
        if self._pattern is not None:
            for match in self._pattern.finditer(shadow):
                if match.end() > match.start() and match.lastgroup is not None:
                    findings.append(Finding(match.start(), match.end(), self._masks[match.lastgroup], PERSON_RANK))
        return splice(text, findings)

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self(text)


@lru_cache(maxsize=MEMO_SIZE)
def _memo(redactor: Redactor, text: str) -> str:
    """Recent answers: the same texts are read again and again (authority names, a popular record)."""
    return redactor.clean(text)


#: The redactor of texts that concern no one in particular: identifiers of anyone.
GENERIC = Redactor()


def clean_generic(text: str) -> str:
    """Text that concerns no subject (an error message): identifiers of anyone masked."""
    return GENERIC(text)


@dataclass(frozen=True, slots=True)
class PersonValues:
    """What identifies a subject's natural person in its texts."""

    names: tuple[str, ...]
    phone: str | None = None
    address: str | None = None


@lru_cache(maxsize=CACHE_SIZE)
def person_redactor(values: PersonValues) -> Redactor:
    """The redactor of one person's values (compiled once per distinct person)."""
    pairs: list[tuple[str, str]] = []
    first: set[str] = set()
    for name in values.names:
        masked = mask_name(name)
        patterns = name_patterns(name)
        pairs.extend((pattern, masked) for pattern in patterns)
        if patterns:
            first |= name_starts(name)
    if values.address and values.address.strip():
        address = values.address.strip()
        masked = mask_address(address)
        pairs.append((han_pattern(address), masked))
        first |= starts(address)
        tail = address[len(masked) - len(MASK * 4) :]
        if len(tail) >= _ADDRESS_TAIL_MIN:
            pairs.append((han_pattern(tail), MASK * 4))
            first |= starts(tail)
    if values.phone:
        pattern = digits_pattern(values.phone)
        if pattern is not None:
            pairs.append((pattern, mask_phone(values.phone)))
            first |= starts(values.phone)
    # Longer patterns first: a former name inside the address never leaves part of the address behind.
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
    return Redactor(pairs, first)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A small thread-safe LRU (API workers may run more than one event loop in tests)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


_VALUES: _Lru[tuple[bytes, bytes], PersonValues | None] = _Lru(CACHE_SIZE)


def _decrypted(vault: Vault, personal_data: bytes, code_index: bytes) -> PersonValues | None:
    try:
        secret: dict[str, Any] = vault.decrypt(personal_data, context=code_index)
    except Exception as exc:  # an undecryptable row: its clear columns are masked, the rest generic
        log.warning("personal data of a subject could not be read for cleaning (%s)", type(exc).__name__)
        return None
    names = tuple(n for n in (secret.get("name"), *(secret.get("formerNames") or ())) if isinstance(n, str) and n)
    phone = secret.get("phone")
    address = secret.get("address")
    return PersonValues(
        names=names,
        phone=phone if isinstance(phone, str) else None,
        address=address if isinstance(address, str) else None,
    )


def redactor_for(
    vault: Vault,
    *,
    kind: SubjectKind,
    code: str,
    legal_representative: str | None,
    personal_data: bytes | None,
    code_index: bytes | None,
    content_hash: bytes | None,
) -> Redactor:
    """The redactor of a subject's texts, from its stored row (see the module's docstring)."""
    if kind is SubjectKind.NATURAL_PERSON:
        if personal_data is None or code_index is None:
            return GENERIC
        if content_hash is None:
            values = _decrypted(vault, personal_data, code_index)
        else:
            values = _VALUES.get((code_index, content_hash), lambda: _decrypted(vault, personal_data, code_index))
        return person_redactor(values) if values is not None else GENERIC
    if legal_representative and individual_business(code):
        return person_redactor(PersonValues(names=(legal_representative,)))
    return GENERIC


def redactor_of(vault: Vault, subject: Any) -> Redactor:
    """`redactor_for` a subject row (`credit.models.Subject`)."""
    return redactor_for(
        vault,
        kind=subject.kind,
        code=subject.code,
        legal_representative=subject.legal_representative,
        personal_data=subject.personal_data,
        code_index=subject.code_index,
        content_hash=subject.content_hash,
    )
