"""Personal data at rest: authenticated encryption (AES-256-GCM) and a keyed blind index (HMAC-SHA256).

Two keys are derived from the configured secret with HKDF, one for encryption and one for the blind
index, so neither use weakens the other. Each ciphertext starts with a one-byte key id so that keys
can be rotated: set the new secret, list the previous one in `CREDITGRAPH_OLD_SECRET_KEYS`, and run
`creditgraph rekey` (documented in the README); blind indexes are recomputed by the same command.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from credit.platform.config import Settings

_NONCE = 12


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"creditgraph", info=purpose).derive(secret)


def _key_id(secret: bytes) -> int:
    return hashlib.sha256(b"kid" + secret).digest()[0]


@dataclass(frozen=True)
class Vault:
    """Encrypts personal data and computes blind indexes with keys derived from one secret."""

    _aead: AESGCM
    _kid: int
    _index_key: bytes
    _old: dict[int, AESGCM]

    @classmethod
    def from_secret(cls, secret: str, old_secrets: list[str] | None = None) -> Vault:
        raw = secret.encode()
        old = {_key_id(s.encode()): AESGCM(_derive(s.encode(), b"enc")) for s in old_secrets or [] if s}
        return cls(AESGCM(_derive(raw, b"enc")), _key_id(raw), _derive(raw, b"blind-index"), old)

    def encrypt(self, value: Mapping[str, Any], context: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE)
        return bytes([self._kid]) + nonce + self._aead.encrypt(nonce, orjson.dumps(value), context)

    def decrypt(self, blob: bytes, context: bytes = b"") -> dict[str, Any]:
        kid, nonce, body = blob[0], blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        aead = self._aead if kid == self._kid else self._old.get(kid)
        if aead is None:
            raise ValueError("personal data was encrypted with a key that is not configured")
        value: dict[str, Any] = orjson.loads(aead.decrypt(nonce, body, context))
        return value

    def blind_index(self, canonical_code: str) -> bytes:
        """Keyed hash of a canonical identifier, for exact look-up without storing it in the clear."""
        return hmac.new(self._index_key, canonical_code.encode(), hashlib.sha256).digest()


def load_secret(settings: Settings) -> str:
    """The configured secret; in development, one generated once and kept under CREDITGRAPH_HOME."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.is_production:
        raise RuntimeError("CREDITGRAPH_SECRET_KEY must be set in production")
    path: Path = settings.home / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def vault_from_settings(settings: Settings) -> Vault:
    old = [s.strip() for s in settings.old_secret_keys.split(",") if s.strip()]
    return Vault.from_secret(load_secret(settings), old)
