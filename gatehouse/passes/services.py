"""Issuing, scanning and revoking passes.

`pass_scan_resolve` and `card_resolve` are what a gate calls: they say whose pass it is, or why it
is refused (a reason code), and never decide whether the person may pass; that is the gate's.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from gatehouse.core.audit import Actor, audit_record
from gatehouse.lib import passtoken
from gatehouse.passes.models import Card, Pass, RevocationReason, SeenNonce
from gatehouse.people.models import Resident

# Reason codes beyond passtoken.TokenError's.
PASS_UNKNOWN = "pass_unknown"
PASS_REVOKED = "pass_revoked"
CARD_UNKNOWN = "card_unknown"
CARD_REVOKED = "card_revoked"
NONCE_RETENTION = dt.timedelta(seconds=passtoken.MAX_SKEW_SECONDS * 4)

_SERIAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed at a gate


@dataclass(frozen=True)
class ScanResult:
    """Whose pass it is, or why it was refused (`reason` is a stable code)."""

    resident: Resident | None
    pass_record: Pass | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.reason is None


def pass_for(resident: Resident) -> Pass:
    """The resident's active pass, issued on first use."""
    existing = Pass.objects.filter(resident=resident, status=Pass.Status.ACTIVE).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Pass.objects.create(resident=resident)
    except IntegrityError:  # issued concurrently
        return Pass.objects.get(resident=resident, status=Pass.Status.ACTIVE)


def pass_token_for(resident: Resident, *, now: dt.datetime | None = None) -> str:
    """A fresh rotating token for the resident's phone."""
    pass_record = pass_for(resident)
    moment = (now or timezone.now()).timestamp()
    return passtoken.token_sign(
        passtoken.deployment_signing_key(), pass_id=pass_record.id, unix_seconds=moment
    )


def pass_public_key() -> bytes:
    return passtoken.public_key_bytes(passtoken.deployment_signing_key())


def pass_scan_resolve(
    *, token: str, now: dt.datetime | None = None, gate_id: uuid.UUID | None = None
) -> ScanResult:
    """Verify a scanned token: signature, time, pass still active, nonce not used before."""
    moment = now or timezone.now()
    verified = passtoken.token_verify(pass_public_key(), token, unix_seconds=moment.timestamp())
    if isinstance(verified, passtoken.TokenError):
        return ScanResult(None, None, verified.value)
    pass_record = Pass.objects.select_related("resident").filter(id=verified.pass_id).first()
    if pass_record is None:
        return ScanResult(None, None, PASS_UNKNOWN)
    # Moving out or dying ends the pass at once, even before anyone revokes it by hand.
    if pass_record.status != Pass.Status.ACTIVE or pass_record.resident.status != Resident.Status.ACTIVE:
        return ScanResult(pass_record.resident, pass_record, PASS_REVOKED)
    try:
        with transaction.atomic():
            SeenNonce.objects.create(nonce=verified.nonce.hex(), seen_at=moment, gate_id=gate_id)
    except IntegrityError:
        return ScanResult(pass_record.resident, pass_record, passtoken.TokenError.REPLAYED.value)
    return ScanResult(pass_record.resident, pass_record, None)


def card_serial_new() -> str:
    raw = "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(8))
    return f"HP-{raw[:4]}-{raw[4:]}"


def card_issue(*, actor: Actor, resident: Resident) -> Card:
    """Print a card: the resident's previous cards are revoked, the new one has the next version."""
    pass_record = pass_for(resident)
    with transaction.atomic():
        previous = list(Card.objects.select_for_update().filter(pass_record__resident=resident))
        version = max((c.version for c in previous), default=0) + 1
        now = timezone.now()
        Card.objects.filter(id__in=[c.id for c in previous if c.status == Card.Status.ACTIVE]).update(
            status=Card.Status.REVOKED, revoked_at=now, revoked_reason=RevocationReason.REISSUED
        )
        card = Card.objects.create(pass_record=pass_record, serial=card_serial_new(), version=version)
        audit_record(
            actor=actor,
            action="create",
            object_type="card",
            object_id=card.id,
            subject_resident_id=resident.id,
            detail=f"version {version}",
        )
    return card


def card_resolve(*, serial: str) -> ScanResult:
    normalised = (serial or "").strip().upper()[:20]
    card = Card.objects.select_related("pass_record__resident").filter(serial=normalised).first()
    if card is None:
        return ScanResult(None, None, CARD_UNKNOWN)
    if (
        card.status != Card.Status.ACTIVE
        or card.pass_record.status != Pass.Status.ACTIVE
        or card.pass_record.resident.status != Resident.Status.ACTIVE
    ):
        return ScanResult(card.pass_record.resident, card.pass_record, CARD_REVOKED)
    return ScanResult(card.pass_record.resident, card.pass_record, None)


def pass_revoke(*, actor: Actor, resident: Resident, reason: str) -> int:
    """Revoke the resident's pass and every card of it, effective at once. Returns passes revoked."""
    if reason not in RevocationReason.values:
        raise ValueError(f"unknown revocation reason {reason!r}")
    now = timezone.now()
    with transaction.atomic():
        revoked = Pass.objects.filter(resident=resident, status=Pass.Status.ACTIVE).update(
            status=Pass.Status.REVOKED, revoked_at=now, revoked_reason=reason
        )
        Card.objects.filter(pass_record__resident=resident, status=Card.Status.ACTIVE).update(
            status=Card.Status.REVOKED, revoked_at=now, revoked_reason=reason
        )
        audit_record(
            actor=actor,
            action="update",
            object_type="pass",
            object_id=resident.id,
            subject_resident_id=resident.id,
            detail=f"revoked: {reason}",
        )
    return revoked


def seen_nonces_purge(*, now: dt.datetime) -> int:
    deleted, _ = SeenNonce.objects.filter(seen_at__lt=now - NONCE_RETENTION).delete()
    return deleted
