"""A logging filter that masks anything shaped like an identity number, as a last line of defence:
code must not log them, but a stray exception message or request dump must not leak one either."""

from __future__ import annotations

import logging
import re

_IDENTITY = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})(?:19|20)[0-9]{2}[01][0-9][0-3][0-9]([0-9]{3}[0-9Xx])(?![0-9])"
)


def redact(text: str) -> str:
    return _IDENTITY.sub(lambda m: m.group(1) + "********" + m.group(2), text)


class RedactIdentityNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
