"""Free text submitted by callers (reasons, notes, statements, references, and the import's names,
titles and authorities): one cleaning rule.

Three kinds of character are refused rather than stored:

- C0 controls and DEL (NUL would also break PostgreSQL's text and JSONB types);
- the bidirectional *embedding, override and isolate* controls (U+202A–U+202E, U+2066–U+2069).
  They make a reader see text in another order than it is stored ("Trojan Source", CVE-2021-42574):
  a name ending in U+202E shows its last characters reversed. Chinese administrative text never needs
  them, and Arabic-script text (a Uyghur name) shows correctly without them, so they are refused with
  a message rather than silently stripped: stripping would change a document the authority signed
  without telling it. The *marks* LRM, RLM and ALM (U+200E, U+200F, U+061C) only hint the direction
  of neutral characters and are kept;
- text with nothing visible: only spaces, zero-width characters (U+200B–U+200D, U+2060, U+FEFF),
  direction marks, other format characters, combining marks without a base, or blank letters
  (U+115F, U+1160, U+3164, U+FFA0, U+2800). Such a name or title looks empty to every reader.
"""

from __future__ import annotations

import re
import unicodedata

from credit.errors import InvalidRequest

MAX_TEXT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Bidirectional embedding (LRE, RLE), override (LRO, RLO), pop (PDF) and isolate (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Letters and symbols that render as blank (Hangul fillers, the braille blank).
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: Categories of characters that show nothing on their own: controls, format characters (zero-width
#: spaces and joiners, direction marks, U+FEFF), separators, combining marks.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})

CONTROL_PROBLEM = "contains control characters"
BIDI_PROBLEM = "contains bidirectional embedding, override or isolate controls (U+202A–U+202E, U+2066–U+2069)"
INVISIBLE_PROBLEM = "must not be empty (it has no visible characters)"


def has_visible(text: str) -> bool:
    """Whether `text` has at least one character a reader sees."""
    return any(
        ch not in _BLANK and not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text
    )


def text_problem(text: str) -> str | None:
    """Why `text` (already stripped) may not be stored as a name, title or free text; None when it may."""
    if _CONTROL.search(text):
        return CONTROL_PROBLEM
    if BIDI_CONTROLS.search(text):
        return BIDI_PROBLEM
    if not has_visible(text):
        return INVISIBLE_PROBLEM
    return None


def clean_text(value: str | None, name: str, *, required: bool, max_length: int = MAX_TEXT) -> str | None:
    """The stripped text; InvalidRequest naming the field (never echoing the value) when it is bad.

    Text with nothing visible counts as empty: refused when required, None otherwise."""
    if value is None or not value.strip() or not has_visible(value):
        if required:
            raise InvalidRequest(f"{name} must not be empty")
        return None
    text = value.strip()
    if len(text) > max_length:
        raise InvalidRequest(f"{name} must be at most {max_length} characters")
    problem = text_problem(text)
    if problem is not None:
        raise InvalidRequest(f"{name} {problem}")
    return text


def required_text(value: str | None, name: str, *, max_length: int = MAX_TEXT) -> str:
    text = clean_text(value, name, required=True, max_length=max_length)
    assert text is not None
    return text
