"""Refuse API input holding control characters before any endpoint sees it.

PostgreSQL cannot store NUL in text, and no name, note or plate has a C0 control character in it;
without this guard such input reached the database and came back as a 500. The answer is the API's
one error shape, naming each field, in the caller's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # all but tab, newline, carriage return
# Endpoints that take raw device input on purpose and judge it themselves: a gate records a scan of
# binary garbage as a refusal ("token_malformed") rather than an error, and strips control
# characters from its free text.
EXEMPT_PATHS = ("/api/gate/checks",)


def _paths(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    if isinstance(value, str):
        if _CONTROL.search(value):
            yield ".".join(path) or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, str(index)))


class ControlCharacterGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") or request.path.startswith(EXEMPT_PATHS):
            return self.get_response(request)
        fields = [key for key, values in request.GET.lists() if any(_CONTROL.search(v) for v in values)]
        if request.body and request.content_type == "application/json":
            try:
                data = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                data = None  # the API itself answers malformed JSON
            else:
                request._gatehouse_json = data  # type: ignore[attr-defined]
                fields += list(_paths(data, ()))
        if not fields:
            return self.get_response(request)
        message = _("Contains control characters (such as NUL) that are not allowed.")
        return JsonResponse(
            {
                "detail": _("Some fields are not valid."),
                "errors": [{"field": f, "message": message} for f in fields],
            },
            status=422,
        )
