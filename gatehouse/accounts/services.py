"""Accounts: creating users bound to places, issuing and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.accounts.models import ApiToken, User
from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Role, Scope

TOKEN_PREFIX = "gh_"
# Touching last_used_at on every request would turn each device read into a write.
_LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def actor_from_request(request: HttpRequest) -> Actor:
    user = request.user
    ip = request.META.get("REMOTE_ADDR")
    if not user.is_authenticated:
        return Actor(user_id=None, label="anonymous", role="anonymous", ip_address=ip)
    assert isinstance(user, User)
    return Actor(user_id=user.pk, label=user.label, role=user.role or "none", ip_address=ip)


DISTRICT_ADMIN_GROUP = "district command (admin)"
# What district command may do in the Django admin: everything on places and people, read the audit
# trail; never change it (its admin refuses edits regardless).
_ADMIN_APPS = ("places", "people", "accounts", "alerts", "observation", "passes")


def district_admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=DISTRICT_ADMIN_GROUP)
    wanted = Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS) | Permission.objects.filter(
        content_type__app_label="core", codename__startswith="view_"
    )
    group.permissions.set(wanted)
    return group


def user_create(
    *, username: str, password: str | None, role: str, check_password: bool = True, **fields: Any
) -> User:
    if role == Role.DISTRICT_COMMAND:
        fields.setdefault("is_staff", True)  # the Django admin is district command's back office
    user = User(username=username, role=role, **fields)
    user.full_clean(exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    user.save()
    if role == Role.DISTRICT_COMMAND:
        user.groups.add(district_admin_group())
    return user


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_issue(*, scope: Scope, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    if not (scope.can(Capability.MANAGE_TOKENS) or scope.user_id == user.pk):
        raise PermissionDenied(_("Your role may not do this."))
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_PREFIX}{prefix}_{secret}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:80], prefix=prefix, token_hash=_hash(plain))
        audit_record(
            actor=actor,
            action="create",
            object_type="api_token",
            object_id=str(token.pk),
            detail=f"for {user.username}",
        )
    return token, plain


def api_token_revoke(*, scope: Scope, actor: Actor, token: ApiToken) -> ApiToken:
    if not (scope.can(Capability.MANAGE_TOKENS) or scope.user_id == token.user_id):
        raise PermissionDenied(_("Your role may not do this."))
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="update",
                object_type="api_token",
                object_id=str(token.pk),
                detail="revoked",
            )
    return token


def api_token_authenticate(plain: str) -> User | None:
    """The active user behind a live token, or None. Constant-time on the secret part."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    try:
        prefix = plain[len(TOKEN_PREFIX) :].split("_", 1)[0]
    except IndexError:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(plain)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
