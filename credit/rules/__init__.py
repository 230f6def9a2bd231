"""The pure credit rules: versioned tables (disclosure periods, the measures catalogue), working days,
flags and everything derived about a subject.

Nothing here touches a database or the network; the only I/O is reading the packaged JSON tables
under `credit/rules/data/`, once, on first use.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources


@functools.cache
def tables_digest() -> str:
    """A digest of every packaged table: a change of the rules changes what is derived from the same
    records (flags, disclosure), so whatever stores derived values (the search index) can notice."""
    digest = hashlib.sha256()
    folder = resources.files("credit.rules").joinpath("data")
    pending = [folder]
    files = []
    while pending:
        for entry in pending.pop().iterdir():
            if entry.is_dir():
                pending.append(entry)
            elif entry.name.endswith(".json"):
                files.append(entry)
    for entry in sorted(files, key=lambda f: str(f)):
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()[:12]
