"""The one NinjaAPI: authentication (session or bearer token), and one error shape for everything.

Every error answers `{"detail": "...", "errors": [{"field": "...", "message": "..."}]}` in the
caller's language (Accept-Language or the session's choice).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Self, cast

import orjson
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, django_auth
from ninja.types import DictStrAny
from pydantic import AfterValidator, Field, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from gatehouse.accounts.models import User
from gatehouse.accounts.services import api_token_authenticate
from gatehouse.core.roles import ANONYMOUS, Scope


class TokenAuth(HttpBearer):
    openapi_description = "A device or integration token: `Authorization: Bearer gh_…`"

    def __call__(self, request: HttpRequest) -> User | None:
        # ninja's HttpBearer reads request.headers, which builds a dict of every header on first
        # use; a gate check needs only this one (a fortieth of its CPU, measured).
        value = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = value.partition(" ")
        if not token or scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


_NINJA_JSON = NinjaJSONEncoder()


def json_response(data: Any, *, status: int = 200) -> HttpResponse:
    """`data` as JSON without ninja's response validation: the same values ninja would send, written
    compactly and with Chinese as UTF-8 rather than \\u escapes.

    For the hottest endpoint only (a gate check, whose output the service builds field by field):
    validating the schema and encoding with the stdlib cost a tenth of a check's CPU. Datetimes,
    decimals and lazy strings go through ninja's own encoder; tests check the output against the
    published schema.
    """
    body = orjson.dumps(data, default=_NINJA_JSON.default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def _sane_datetime(value: dt.datetime) -> dt.datetime:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > dt.timedelta(hours=14):
        raise PydanticCustomError("datetime_offset", "Time zone offset out of range")
    if not 1900 <= value.year <= 2200:
        raise PydanticCustomError("datetime_range", "Year out of range")
    return value


# A date and time as the API accepts it: real time-zone offsets (±14:00) and plausible years, so a
# hostile value is a 422 naming the field instead of a database error.
ApiDateTime = Annotated[dt.datetime, AfterValidator(_sane_datetime)]


class PatchSchema(Schema):
    """A PATCH body: a field left out is unchanged; a field sent as null is refused (422 naming it)
    unless it is listed in `nullable`, where null means "empty it" (a gate open all day)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_nulls(self) -> Self:
        nulls = sorted(
            n for n in self.model_fields_set if getattr(self, n) is None and n not in self.nullable
        )
        if nulls:
            raise PydanticValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("null_refused", "May not be null"), loc=(n,), input=None
                    )
                    for n in nulls
                ],
            )
        return self


class Pagination(LimitOffsetPagination):
    """Limit/offset with both ends bounded: an offset past any real list is refused with a 422, not a
    database overflow (SQLite's integers end at 2**63)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10_000_000)


class ParsedOnceParser(Parser):
    """Reuse the body the control-character guard already decoded (see api.middleware)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        parsed = getattr(request, "_gatehouse_json", None)
        if parsed is not None:
            return cast(DictStrAny, parsed)
        return super().parse_body(request)


api = NinjaAPI(
    title="Gatehouse",
    version="1",
    description="Community epidemic prevention and control. Every list and record is scoped to the caller.",
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    parser=ParsedOnceParser(),
)


def scope_of(request: HttpRequest) -> Scope:
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        return user.scope
    return ANONYMOUS


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


_PYDANTIC_MESSAGES = {
    "missing": lambda ctx: _("This field is required."),
    "string_too_long": lambda ctx: _("At most %(n)s characters.") % {"n": ctx.get("max_length")},
    "string_too_short": lambda ctx: _("At least %(n)s characters.") % {"n": ctx.get("min_length")},
    "string_type": lambda ctx: _("Must be text."),
    "int_parsing": lambda ctx: _("Must be a whole number."),
    "int_type": lambda ctx: _("Must be a whole number."),
    "float_parsing": lambda ctx: _("Must be a number."),
    "float_type": lambda ctx: _("Must be a number."),
    "decimal_parsing": lambda ctx: _("Must be a number."),
    "bool_parsing": lambda ctx: _("Must be true or false."),
    "bool_type": lambda ctx: _("Must be true or false."),
    "date_from_datetime_parsing": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "date_parsing": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "date_type": lambda ctx: _("Must be a date (YYYY-MM-DD)."),
    "datetime_parsing": lambda ctx: _("Must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": lambda ctx: _("Must be a date and time (ISO 8601)."),
    "time_parsing": lambda ctx: _("Must be a time (HH:MM)."),
    "uuid_parsing": lambda ctx: _("Must be an id (UUID)."),
    "uuid_type": lambda ctx: _("Must be an id (UUID)."),
    "enum": lambda ctx: _("Must be one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
    "literal_error": lambda ctx: _("Must be one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
    "greater_than_equal": lambda ctx: _("Must be at least %(n)s.") % {"n": ctx.get("ge")},
    "less_than_equal": lambda ctx: _("Must be at most %(n)s.") % {"n": ctx.get("le")},
    "greater_than": lambda ctx: _("Must be more than %(n)s.") % {"n": ctx.get("gt")},
    "less_than": lambda ctx: _("Must be less than %(n)s.") % {"n": ctx.get("lt")},
    "finite_number": lambda ctx: _("Must be a finite number."),
    "json_invalid": lambda ctx: _("The request body is not valid JSON."),
    "model_attributes_type": lambda ctx: _("Must be an object."),
    "dict_type": lambda ctx: _("Must be an object."),
    "list_type": lambda ctx: _("Must be a list."),
    "extra_forbidden": lambda ctx: _("Unknown field."),
    "null_refused": lambda ctx: _("This field cannot be emptied; leave it out to keep it."),
    "datetime_offset": lambda ctx: _("The time zone offset must be between -14:00 and +14:00."),
    "datetime_range": lambda ctx: _("The year must be between 1900 and 2200."),
}


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "header", "cookie")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        make = _PYDANTIC_MESSAGES.get(err.get("type", ""))
        message = make(err.get("ctx") or {}) if make else _("This value is not valid.")
        errors.append({"field": _field_of(err.get("loc", [])), "message": str(message)})
    return api.create_response(request, error_body(_("Some fields are not valid."), errors), status=422)


@api.exception_handler(ValidationError)
def _business_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field if field != "__all__" else "body", "message": str(message)}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "body", "message": str(m)} for m in exc.messages]
    return api.create_response(request, error_body(_("Some fields are not valid."), errors), status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or _("You may not do this.")
    return api.create_response(request, error_body(detail), status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, error_body(_("Not found, or not in your area.")), status=404)


api.exception_handler(ObjectDoesNotExist)(_not_found)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, error_body(_("Sign in or send a valid token.")), status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # Ninja's only 400 is a body it could not parse; say so in the caller's language.
        body = error_body(
            _("The request could not be read."),
            [{"field": "body", "message": _("The request body is not valid JSON.")}],
        )
        return api.create_response(request, body, status=400)
    return api.create_response(request, error_body(str(exc)), status=exc.status_code)
