"""Who am I, my record's access log, and API tokens."""

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from gatehouse.accounts.models import ApiToken, User
from gatehouse.accounts.services import actor_from_request, api_token_issue, api_token_revoke
from gatehouse.api.base import scope_of
from gatehouse.core.roles import Capability
from gatehouse.people.selectors import resident_access_log

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    capabilities: list[str]


class AccessOut(Schema):
    at: dt.datetime
    who: str
    role: str
    action: str


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    # No control characters: PostgreSQL cannot store NUL in text, and a name is shown in lists.
    name: str = Field(..., min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$")
    username: str | None = Field(
        None,
        max_length=150,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="district command only: for another user",
    )


class TokenOut(Schema):
    prefix: str
    name: str
    username: str = Field(..., alias="user.username")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(Schema):
    prefix: str
    name: str
    username: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    token: str


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    assert isinstance(user, User)
    return {
        "username": user.username,
        "display_name": user.label,
        "role": user.role,
        "capabilities": sorted(c.value for c in user.scope.capabilities),
    }


@router.get("/me/access-log", response=list[AccessOut], summary="Who looked at or changed my record")
def my_access_log(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {"at": e.at, "who": e.actor_label, "role": e.actor_role, "action": e.action}
        for e in resident_access_log(scope=scope_of(request))[:200]
    ]


def _tokens_visible(request: HttpRequest) -> QuerySet[ApiToken]:
    scope = scope_of(request)
    qs = ApiToken.objects.select_related("user")
    if scope.can(Capability.MANAGE_TOKENS) and scope.district_id is not None:
        return qs.all()
    if scope.user_id is None:
        return qs.none()
    return qs.filter(user_id=scope.user_id)


@router.get("/tokens", response=list[TokenOut])
def tokens(request: HttpRequest) -> object:
    return _tokens_visible(request)


@router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    scope = scope_of(request)
    owner: User | None = request.user if isinstance(request.user, User) else None
    if payload.username and owner is not None and payload.username != owner.username:
        if not scope.can(Capability.MANAGE_TOKENS):
            raise Http404
        owner = User.objects.filter(username=payload.username).first()
    if owner is None:
        raise Http404
    token, plain = api_token_issue(
        scope=scope, actor=actor_from_request(request), user=owner, name=payload.name
    )
    return Status(
        201,
        {
            "prefix": token.prefix,
            "name": token.name,
            "username": owner.username,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at,
            "token": plain,
        },
    )


@router.delete("/tokens/{prefix}", response=TokenOut)
def token_revoke(request: HttpRequest, prefix: str) -> ApiToken:
    token = _tokens_visible(request).filter(prefix=prefix).first()
    if token is None:
        raise Http404
    return api_token_revoke(scope=scope_of(request), actor=actor_from_request(request), token=token)
