"""Reads for signing in: which residents a proven phone number may sign in as."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from gatehouse.accounts.models import SignInCode
from gatehouse.lib import crypto
from gatehouse.people.models import Resident

PHONE_CONTEXT = "signin.phone"
# How long after the code proved the phone the person may still pick which family member they are.
CHOOSE_WINDOW = dt.timedelta(minutes=10)


def signin_phone(challenge: SignInCode) -> str | None:
    """The proven phone number of a verified, unused challenge still inside its choosing window."""
    if challenge.verified_at is None or challenge.used_at is not None:
        return None
    if timezone.now() - challenge.verified_at > CHOOSE_WINDOW:
        return None
    return crypto.decrypt_text(bytes(challenge.phone_ciphertext), context=PHONE_CONTEXT)


def signin_members(*, challenge: SignInCode) -> QuerySet[Resident]:
    """The residents living here registered with the phone this challenge proved: a family sharing one
    phone. Nobody else, not even the rest of their households."""
    phone = signin_phone(challenge)
    if phone is None:
        return Resident.objects.none()
    return (
        Resident.objects.filter(phone=phone, status=Resident.Status.ACTIVE)
        .select_related("compound")
        .order_by("birth_date", "id")
    )


def signin_code_get(*, code_id: uuid.UUID | str | None) -> SignInCode | None:
    """The challenge a session points at, or None for a missing or malformed id."""
    if not code_id:
        return None
    try:
        return SignInCode.objects.filter(id=code_id).first()
    except (ValueError, TypeError, ValidationError):
        return None
