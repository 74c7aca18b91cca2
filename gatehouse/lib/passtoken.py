"""Rotating pass tokens: what a resident's phone shows as a QR code and a gate verifies.

A token is `GH1.` + base64url(pass id 16 bytes | time step 4 bytes | nonce 8 bytes | Ed25519
signature 64 bytes over the first 28 bytes). The server signs; anyone holding the public key can
verify, so a gate can check a pass with no network. A step is 30 s; a token whose step started more
than 45 s before (or after) the verifier's clock is refused, so a screenshot stops working within a
minute. Replays of a nonce are caught by whoever verifies (the server keeps the nonces it saw; an
offline gate keeps its own). Pure functions: no database, no clock of their own.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import os
import struct
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "GH1."
STEP_SECONDS = 30
MAX_SKEW_SECONDS = 45
_BODY = struct.Struct(">16sI8s")
_SIG_BYTES = 64
TOKEN_BYTES = _BODY.size + _SIG_BYTES
MAX_TOKEN_CHARS = len(PREFIX) + (TOKEN_BYTES * 4 + 2) // 3 + 2


class TokenError(enum.Enum):
    """Why a token was refused; the values are the reason codes a gate shows and records."""

    MALFORMED = "token_malformed"
    FORGED = "token_forged"
    EXPIRED = "token_expired"
    FROM_THE_FUTURE = "token_from_the_future"
    REPLAYED = "token_replayed"


@dataclass(frozen=True)
class PassToken:
    pass_id: uuid.UUID
    step: int
    nonce: bytes

    @property
    def step_start(self) -> int:
        return self.step * STEP_SECONDS


def time_step(unix_seconds: float) -> int:
    return int(unix_seconds // STEP_SECONDS)


def signing_key_from_secret(secret: str) -> Ed25519PrivateKey:
    """The pass-signing key, derived from the deployment's data key so there is one secret to keep."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gatehouse", info=b"pass-signing-v1").derive(
        secret.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


@functools.lru_cache(maxsize=4)
def _cached_key(secret: str) -> Ed25519PrivateKey:
    return signing_key_from_secret(secret)


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def token_sign(
    key: Ed25519PrivateKey, *, pass_id: uuid.UUID, unix_seconds: float, nonce: bytes | None = None
) -> str:
    body = _BODY.pack(pass_id.bytes, time_step(unix_seconds), nonce or os.urandom(8))
    raw = body + key.sign(body)
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token_parse(token: str) -> tuple[PassToken, bytes, bytes] | TokenError:
    """Split a token into its fields, the signed body and the signature; no key needed."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or not token.startswith(PREFIX):
        return TokenError.MALFORMED
    encoded = token[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return TokenError.MALFORMED
    if len(raw) != TOKEN_BYTES:
        return TokenError.MALFORMED
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    pass_bytes, step, nonce = _BODY.unpack(body)
    return PassToken(uuid.UUID(bytes=pass_bytes), step, nonce), body, signature


@functools.lru_cache(maxsize=8)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def token_verify(public_key: bytes, token: str, *, unix_seconds: float) -> PassToken | TokenError:
    """Check signature and time; the caller checks the nonce against what it has seen."""
    parsed = token_parse(token)
    if isinstance(parsed, TokenError):
        return parsed
    fields, body, signature = parsed
    try:
        _public_key(public_key).verify(signature, body)
    except (InvalidSignature, ValueError):
        return TokenError.FORGED
    age = unix_seconds - fields.step_start
    if age > MAX_SKEW_SECONDS:
        return TokenError.EXPIRED
    if age < -MAX_SKEW_SECONDS:
        return TokenError.FROM_THE_FUTURE
    return fields


def deployment_signing_key() -> Ed25519PrivateKey:
    from django.conf import settings

    return _cached_key(settings.DATA_KEY)
