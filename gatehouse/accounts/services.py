"""Accounts: creating users bound to places, issuing and revoking API tokens, and residents signing
in on their phone with a one-time code."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gatehouse.accounts.models import ApiToken, SignInCode, User
from gatehouse.accounts.selectors import PHONE_CONTEXT, signin_code_get, signin_members
from gatehouse.accounts.sms import SmsMessage, sms_send
from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Role, Scope
from gatehouse.lib import crypto
from gatehouse.lib.db import transaction_lock
from gatehouse.lib.phones import phone_normalise
from gatehouse.people.models import Resident, mask_name

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
            _verified_tokens.pop(token.token_hash, None)
            audit_record(
                actor=actor,
                action="update",
                object_type="api_token",
                object_id=str(token.pk),
                detail="revoked",
            )
    return token


# Devices send a token with every request (a gate phone: every check). Remembering a verified token
# for a few seconds per process saves a query and most of the request's ORM work; the price is that
# a revocation reaches the other processes up to that many seconds later (the revoking process
# forgets the token at once). GATEHOUSE_API_TOKEN_CACHE_SECONDS=0 turns it off.
_verified_tokens: dict[str, tuple[float, User]] = {}
_VERIFIED_TOKENS_MAX = 10_000


def api_token_authenticate(plain: str) -> User | None:
    """The active user behind a live token, or None. Constant-time on the secret part."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    digest = _hash(plain)
    ttl = settings.GATEHOUSE_API_TOKEN_CACHE_SECONDS
    remembered = _verified_tokens.get(digest) if ttl else None
    if remembered is not None and remembered[0] > time.monotonic():
        return remembered[1]
    prefix = plain[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    if ttl:
        if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
            _verified_tokens.clear()
        _verified_tokens[digest] = (time.monotonic() + ttl, token.user)
    return token.user


# --- residents sign in on their phone with a one-time code -----------------------------------------

CODE_CONTEXT = "signin.code"
CODE_DIGITS = 6
CODE_RETENTION = dt.timedelta(days=1)
# Set in the session when a resident signed in by phone just now: the pass page may then issue a new
# pass to replace a revoked one (a lost phone's old session may not).
PHONE_SIGNIN_SESSION_KEY = "signed_in_by_phone"

_CODE_RE = re.compile(rf"\d{{{CODE_DIGITS}}}")


def _phone_hash(phone: str) -> str:
    return crypto.lookup_hash(phone, context=PHONE_CONTEXT)


def _code_hash(code_id: uuid.UUID, code: str) -> str:
    return crypto.lookup_hash(f"{code_id}:{code}", context=CODE_CONTEXT)


def _throttle(*, phone_hash: str, ip_address: str | None, now: dt.datetime) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    recent = SignInCode.objects.filter(phone_hash=phone_hash, created_at__gte=hour_ago)
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    wait = settings.SIGNIN_CODE_RESEND_SECONDS - (now - last).total_seconds() if last else 0
    if wait > 0:
        raise ValidationError(
            {
                "phone": [
                    _("A code was sent just now. Wait %(seconds)s seconds before asking again.")
                    % {"seconds": int(wait) + 1}
                ]
            },
            code="throttled",
        )
    if recent.count() >= settings.SIGNIN_CODES_PER_PHONE_PER_HOUR:
        raise ValidationError(
            {"phone": [_("Too many codes were asked for this number. Try again in an hour.")]},
            code="throttled",
        )
    if (
        ip_address
        and SignInCode.objects.filter(ip_address=ip_address, created_at__gte=hour_ago).count()
        >= settings.SIGNIN_CODES_PER_ADDRESS_PER_HOUR
    ):
        raise ValidationError(
            {"phone": [_("Too many codes were asked from this network. Try again later.")]}, code="throttled"
        )


def signin_code_request(*, phone: str, ip_address: str | None) -> SignInCode:
    """Text a one-time code to `phone` when a resident living here has that number.

    The caller learns nothing about whether the number is known: an unknown number gets a challenge
    too (whose code was never sent and can never match), the same answer and the same throttles.
    """
    try:
        national = phone_normalise(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    phone_hash = _phone_hash(national)
    known = Resident.objects.filter(phone=national, status=Resident.Status.ACTIVE).exists()
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with transaction.atomic():
        # The throttles count earlier codes, then this one is stored: requests racing in parallel
        # would all count the same earlier codes and all pass. One at a time per number and address.
        transaction_lock(
            f"signin-phone:{phone_hash}", *([f"signin-address:{ip_address}"] if ip_address else [])
        )
        now = timezone.now()
        _throttle(phone_hash=phone_hash, ip_address=ip_address, now=now)
        challenge = SignInCode(
            phone_hash=phone_hash,
            phone_ciphertext=crypto.encrypt_text(national, context=PHONE_CONTEXT),
            ip_address=ip_address,
            expires_at=now + dt.timedelta(seconds=settings.SIGNIN_CODE_TTL_SECONDS),
        )
        # Not digits: an unknown number's challenge has no code anyone could type.
        challenge.code_hash = _code_hash(challenge.id, code if known else secrets.token_hex(16))
        challenge.save()
        if known:
            text = _(
                "Gatehouse sign-in code: %(code)s. Valid for %(minutes)s minutes. Never tell it to anyone."
            ) % {"code": code, "minutes": max(1, settings.SIGNIN_CODE_TTL_SECONDS // 60)}
            transaction.on_commit(lambda: sms_send(SmsMessage(to=national, text=text)))
    return challenge


def _no_longer_valid() -> ValidationError:
    return ValidationError({"code": [_("This code is no longer valid. Ask for a new one.")]}, code="invalid")


def signin_code_verify(*, code_id: uuid.UUID | str, code: str) -> SignInCode:
    """Check a typed code. Each try counts (claimed before comparing, so parallel guesses count too);
    after the last allowed try, or after it expires, the code is dead and a new one must be asked for."""
    challenge = signin_code_get(code_id=code_id)
    if challenge is None or challenge.used_at is not None:
        raise _no_longer_valid()
    if challenge.verified_at is not None:
        return challenge
    now = timezone.now()
    if challenge.expires_at <= now:
        raise ValidationError({"code": [_("This code has expired. Ask for a new one.")]}, code="expired")
    typed = (code or "").strip()
    if not _CODE_RE.fullmatch(typed):
        raise ValidationError(
            {"code": [_("Enter the %(n)s-digit code from the text message.") % {"n": CODE_DIGITS}]},
            code="format",
        )
    limit = settings.SIGNIN_CODE_MAX_ATTEMPTS
    claimed = SignInCode.objects.filter(id=challenge.id, attempts__lt=limit, verified_at__isnull=True).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        raise ValidationError({"code": [_("Too many wrong codes. Ask for a new one.")]}, code="locked")
    if not hmac.compare_digest(challenge.code_hash, _code_hash(challenge.id, typed)):
        left = limit - SignInCode.objects.values_list("attempts", flat=True).get(id=challenge.id)
        if left <= 0:
            raise ValidationError({"code": [_("Too many wrong codes. Ask for a new one.")]}, code="locked")
        message = ngettext(
            "Wrong code. %(n)s more try before you must ask for a new one.",
            "Wrong code. %(n)s more tries before you must ask for a new one.",
            left,
        ) % {"n": left}
        raise ValidationError({"code": [message]}, code="wrong")
    SignInCode.objects.filter(id=challenge.id, verified_at__isnull=True).update(verified_at=now)
    challenge.verified_at = now
    return challenge


def resident_user_for(*, resident: Resident) -> User:
    """The resident's own account, created at their first sign-in; it has no password."""
    existing = User.objects.filter(resident=resident).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = user_create(
                    username=f"resident-{resident.id.hex[:16]}",
                    password=None,
                    role=Role.RESIDENT,
                    resident=resident,
                    display_name=mask_name(resident.name),
                )
                audit_record(
                    actor=Actor(user_id=existing.pk, label=existing.label, role=Role.RESIDENT),
                    action="create",
                    object_type="user",
                    object_id=str(existing.pk),
                    subject_resident_id=resident.id,
                    detail="first sign-in by phone",
                )
        except IntegrityError:  # the same person signing in on two devices at once
            existing = User.objects.get(resident=resident)
    if not existing.is_active:
        raise ValidationError(
            {"resident": [_("This account is switched off. Ask your neighbourhood committee.")]}
        )
    return existing


def signin_complete(*, challenge: SignInCode, resident: Resident) -> User:
    """Use the verified code once, to sign in as `resident`, one of the residents the phone proved."""
    if not signin_members(challenge=challenge).filter(id=resident.id).exists():
        raise _no_longer_valid()
    with transaction.atomic():
        used = SignInCode.objects.filter(
            id=challenge.id, used_at__isnull=True, verified_at__isnull=False
        ).update(used_at=timezone.now())
        if not used:
            raise _no_longer_valid()
        return resident_user_for(resident=resident)


def signin_codes_purge(*, now: dt.datetime) -> int:
    deleted, _ = SignInCode.objects.filter(created_at__lt=now - CODE_RETENTION).delete()
    return deleted
