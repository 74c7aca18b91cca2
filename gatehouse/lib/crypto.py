"""Field encryption and keyed hashing for personal data.

Both keys are derived (HKDF-SHA256) from one master secret, GATEHOUSE_DATA_KEY, so an operator
manages one secret; the derivation labels keep the encryption key and the lookup key independent.
Ciphertexts carry a one-byte version so a future key rotation can tell old from new.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = b"\x01"
_NONCE_BYTES = 12


def _derive(label: bytes) -> bytes:
    master = settings.DATA_KEY.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gatehouse", info=label).derive(master)


@functools.cache
def _aead() -> AESGCM:
    return AESGCM(_derive(b"field-encryption-v1"))


@functools.cache
def _lookup_key() -> bytes:
    return _derive(b"lookup-hash-v1")


def encrypt_text(plaintext: str, *, context: str) -> bytes:
    """AES-256-GCM; `context` (e.g. "resident.id_number") is bound as associated data so a
    ciphertext copied into another column does not decrypt."""
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + _aead().encrypt(nonce, plaintext.encode(), context.encode())


def decrypt_text(ciphertext: bytes, *, context: str) -> str:
    blob = bytes(ciphertext)
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    return _aead().decrypt(nonce, body, context.encode()).decode()


def lookup_hash(value: str, *, context: str) -> str:
    """A keyed hash for exact-match search: without the key, the 10^11-ish space of identity
    numbers cannot be enumerated against it."""
    return hmac.new(_lookup_key(), f"{context}:{value}".encode(), hashlib.sha256).hexdigest()


def reset_key_cache() -> None:
    _aead.cache_clear()
    _lookup_key.cache_clear()
