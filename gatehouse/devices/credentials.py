"""Device secrets: one per wristband, hashed two ways and never stored in the clear.

The HTTP endpoint compares a SHA-256; Mosquitto's password file wants its own PBKDF2-SHA512 form
(`$7$` in mosquitto_passwd), which we write ourselves so no broker tool is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MOSQUITTO_ITERATIONS = 101  # mosquitto_passwd's own default for the $7$ form
TOKEN_SEPARATOR = "."


def secret_new() -> str:
    return secrets.token_urlsafe(24)


def secret_hash(secret: str) -> str:
    # The secret is 192 random bits: a fast hash is enough, and lookups stay cheap under load.
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(secret_hash(secret), stored_hash)


def mosquitto_hash(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, MOSQUITTO_ITERATIONS, dklen=64)
    return f"$7${MOSQUITTO_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def device_token(serial: str, secret: str) -> str:
    """What a device without MQTT sends as `Authorization: Bearer …`."""
    return f"{serial}{TOKEN_SEPARATOR}{secret}"


def split_device_token(token: str) -> tuple[str, str] | None:
    serial, sep, secret = token.partition(TOKEN_SEPARATOR)
    if not sep or not serial or not secret or len(token) > 200:
        return None
    return serial, secret
