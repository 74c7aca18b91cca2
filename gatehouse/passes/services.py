"""Issuing, scanning and revoking passes.

`pass_scan_resolve` and `card_resolve` are what a gate calls: they say whose pass it is, or why it
is refused (a reason code), and never decide whether the person may pass; that is the gate's.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.lib import passtoken
from gatehouse.lib.db import hot_fetchone, model_from_row
from gatehouse.passes.models import Card, Pass, RevocationReason, SeenNonce
from gatehouse.people import selectors as people_selectors
from gatehouse.people import services as people_services
from gatehouse.people.models import Resident

# Reason codes beyond passtoken.TokenError's.
PASS_UNKNOWN = "pass_unknown"
PASS_REVOKED = "pass_revoked"
CARD_UNKNOWN = "card_unknown"
CARD_REVOKED = "card_revoked"
RESIDENT_DEPARTED = "resident_departed"
NONCE_RETENTION = dt.timedelta(seconds=passtoken.MAX_SKEW_SECONDS * 4)

_SERIAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed at a gate


@dataclass(frozen=True)
class ScanResult:
    """Whose pass it is, or why it was refused (`reason` is a stable code)."""

    resident: Resident | None
    pass_record: Pass | None
    reason: str | None
    # The values of a caller's `also` columns, read in the same statement as the pass.
    also: tuple[Any, ...] = ()
    # A rotating token's nonce (hex), for a caller that claims it itself (claim_nonce=False).
    nonce: str | None = None

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
    return _public_key_of(passtoken.deployment_signing_key())


@functools.lru_cache(maxsize=4)
def _public_key_of(key: Ed25519PrivateKey) -> bytes:
    return passtoken.public_key_bytes(key)


def pass_scan_resolve(
    *,
    token: str,
    now: dt.datetime | None = None,
    gate_id: uuid.UUID | None = None,
    claim_nonce: bool = True,
    also: tuple[str, list[Any]] = ("", []),
) -> ScanResult:
    """Verify a scanned token: signature, time, pass still active, nonce not used before.

    `claim_nonce=False` is for a caller that records the nonce under its own unique constraint in the
    same statement as its own write (the gate's event), so the code is claimed once, not twice.
    `also` is (SQL, params) of further columns the caller needs about the holder, read in the same
    round trip as the pass: SQL expressions that may use `r.id` (the resident), such as the gate's
    subqueries for an open observation case. Their values come back in ScanResult.also.
    """
    moment = now or timezone.now()
    verified = passtoken.token_verify(pass_public_key(), token, unix_seconds=moment.timestamp())
    if isinstance(verified, passtoken.TokenError):
        return ScanResult(None, None, verified.value)
    # One prepared join instead of select_related: this runs for every scan at every gate, and the
    # ORM's compilation cost more than the query (0.5 ms against 0.18 ms of CPU, measured).
    also_sql, also_params = also
    row = hot_fetchone(
        f"SELECT r.id, r.name, r.status, r.health_colour, r.compound_id, p.status{', ' if also_sql else ''}"  # noqa: S608
        f"{also_sql} FROM {Pass._meta.db_table} p JOIN {Resident._meta.db_table} r ON r.id = p.resident_id "
        "WHERE p.id = %s",
        [*also_params, Pass._meta.pk.get_db_prep_value(verified.pass_id, connection)],
    )
    if row is None:
        return ScanResult(None, None, PASS_UNKNOWN)
    resident = model_from_row(Resident, ("id", "name", "status", "health_colour", "compound_id"), row)
    pass_record = model_from_row(Pass, ("id", "status"), (verified.pass_id, row[5]))
    pass_record.resident = resident
    extra = tuple(row[6:])
    # Moving out or dying ends the pass at once, even before anyone revokes it by hand.
    if pass_record.status != Pass.Status.ACTIVE or pass_record.resident.status != Resident.Status.ACTIVE:
        return ScanResult(pass_record.resident, pass_record, PASS_REVOKED, extra)
    nonce = verified.nonce.hex()
    if claim_nonce and not _nonce_claim(nonce, moment, gate_id):
        return ScanResult(pass_record.resident, pass_record, passtoken.TokenError.REPLAYED.value, extra)
    return ScanResult(pass_record.resident, pass_record, None, extra, nonce)


def _nonce_claim(nonce: str, at: dt.datetime, gate_id: uuid.UUID | None) -> bool:
    """True for the first use of `nonce`. One statement that cannot fail on a duplicate, so it needs
    no savepoint: the check that follows keeps its transaction (and two round trips fewer)."""
    fields = SeenNonce._meta
    values = [
        cast("models.Field[Any, Any]", fields.get_field(name)).get_db_prep_save(value, connection)
        for name, value in (("nonce", nonce), ("seen_at", at), ("gate_id", gate_id))
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {fields.db_table} (nonce, seen_at, gate_id) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (nonce) DO NOTHING",
            values,
        )
        return bool(cursor.rowcount == 1)


def card_serial_new() -> str:
    raw = "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(8))
    return f"HP-{raw[:4]}-{raw[4:]}"


def card_issue(*, actor: Actor, resident: Resident) -> Card:
    """Print a card: the resident's previous cards are revoked, the new one has the next version."""
    if resident.status != Resident.Status.ACTIVE:
        raise ValidationError(
            {"resident": [_("%(name)s no longer lives here.") % {"name": resident.masked_name}]}
        )
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


# What a neighbourhood worker may give as the reason; "reissued" is the card printer's own.
WORKER_REASONS = (
    RevocationReason.MOVED_OUT,
    RevocationReason.LOST,
    RevocationReason.DECEASED,
    RevocationReason.OTHER,
)


def pass_revoke(
    *, actor: Actor, resident: Resident, reason: str, scope: Scope | None = None, note: str = ""
) -> int:
    """Revoke the resident's pass and every card of it, effective at once. Returns passes revoked.

    With a `scope` a person is acting (a neighbourhood worker): the reason must be one they give, "other"
    needs a note, and moving out or death also ends the residency, so no new pass is issued later. A
    living resident's phone gets a new pass only after signing in by phone again (see
    `pass_for_holder`), so a lost phone's open session stays dead.
    """
    note = (note or "").strip()[:200]
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in note):
        raise ValidationError({"note": [_("The note contains characters that cannot be stored.")]})
    allowed = WORKER_REASONS if scope is not None else tuple(RevocationReason)
    if reason not in allowed:
        raise ValidationError({"reason": [_("Choose why the pass is revoked.")]})
    if scope is not None:
        if not scope.can(Capability.EDIT_RESIDENTS):
            raise PermissionDenied(_("Your role may not do this."))
        if reason == RevocationReason.OTHER and not note:
            raise ValidationError({"note": [_("Say why the pass is revoked.")]})
    now = timezone.now()
    with transaction.atomic():
        if not Pass.objects.filter(resident=resident).exists():
            # Leave a revoked pass behind, so the phone knows it was revoked rather than never issued.
            pass_for(resident)
        revoked = Pass.objects.filter(resident=resident, status=Pass.Status.ACTIVE).update(
            status=Pass.Status.REVOKED, revoked_at=now, revoked_reason=reason, revoked_note=note
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
            detail=f"revoked: {reason}" + (f" ({note})" if note else ""),
        )
        if (
            scope is not None
            and reason in (RevocationReason.MOVED_OUT, RevocationReason.DECEASED)
            and resident.status == Resident.Status.ACTIVE
        ):
            people_services.resident_move_out(
                scope=scope, actor=actor, resident=resident, deceased=reason == RevocationReason.DECEASED
            )
    return revoked


def household_cards_issue(
    *, scope: Scope, actor: Actor, resident: Resident, member_ids: list[uuid.UUID] | None = None
) -> list[Card]:
    """Print cards for `resident`'s household: every member living there, or the members named.
    Each reprint revokes that member's previous card. `resident` must come from a scoped selector."""
    if not scope.can(Capability.EDIT_RESIDENTS):
        raise PermissionDenied(_("Your role may not do this."))
    members = list(people_selectors.household_members(resident=resident).order_by("birth_date", "id"))
    if member_ids is not None:
        wanted = set(member_ids)
        members = [m for m in members if m.id in wanted]
        if not wanted or len(members) != len(wanted):
            raise ValidationError({"member_ids": [_("Choose members living in this household.")]})
    if not members:
        raise ValidationError({"member_ids": [_("Nobody lives in this household any more.")]})
    with transaction.atomic():
        return [card_issue(actor=actor, resident=member) for member in members]


# --- the pass on the holder's phone ---------------------------------------------------------------


@dataclass(frozen=True)
class HolderPass:
    """The pass a phone may show, or why it may not (`problem` is a reason code)."""

    pass_record: Pass | None
    problem: str | None


def pass_for_holder(
    *, resident: Resident, bound_pass_id: uuid.UUID | str | None, may_reissue: bool
) -> HolderPass:
    """The pass to show on the resident's phone.

    A phone session is bound to the pass it first showed; once that pass is revoked the session shows
    nothing more. A new pass replaces a revoked one only for a session that has just proved the phone
    again (`may_reissue`, set by the phone sign-in), so revoking a lost phone's pass ends it for good.
    """
    if resident.status != Resident.Status.ACTIVE:
        return HolderPass(None, RESIDENT_DEPARTED)
    if bound_pass_id and not may_reissue:
        bound = Pass.objects.filter(id=bound_pass_id, resident=resident).first()
        if bound is not None and bound.status == Pass.Status.ACTIVE:
            return HolderPass(bound, None)
        return HolderPass(bound, PASS_REVOKED)
    active = Pass.objects.filter(resident=resident, status=Pass.Status.ACTIVE).first()
    if active is not None:
        return HolderPass(active, None)
    if may_reissue or not Pass.objects.filter(resident=resident).exists():
        return HolderPass(pass_for(resident), None)
    latest = Pass.objects.filter(resident=resident).order_by("-revoked_at").first()
    return HolderPass(latest, PASS_REVOKED)


@dataclass(frozen=True)
class PhoneToken:
    token: str
    step: int
    issued_at: dt.datetime
    valid_until: dt.datetime
    refresh_in: float


def refresh_delay(unix_seconds: float, configured: int = 0) -> float:
    """Seconds until the phone should fetch its next token.

    By default just after the next 30 s step begins: a token is valid until 45 s after its step began,
    so the code on screen stays valid until the next one arrives, with 14 s to spare for the network.
    """
    if configured > 0:
        return float(configured)
    step_end = (passtoken.time_step(unix_seconds) + 1) * passtoken.STEP_SECONDS
    return max(1.0, step_end - unix_seconds + 1.0)


def pass_phone_token(
    *, pass_record: Pass, now: dt.datetime | None = None, refresh_seconds: int = 0
) -> PhoneToken:
    """A fresh signed token for `pass_record` (which `pass_for_holder` returned) and when to refresh."""
    moment = now or timezone.now()
    unix = moment.timestamp()
    token = passtoken.token_sign(
        passtoken.deployment_signing_key(), pass_id=pass_record.id, unix_seconds=unix
    )
    step = passtoken.time_step(unix)
    valid_until = dt.datetime.fromtimestamp(
        step * passtoken.STEP_SECONDS + passtoken.MAX_SKEW_SECONDS, tz=dt.UTC
    )
    return PhoneToken(
        token=token,
        step=step,
        issued_at=moment,
        valid_until=valid_until,
        refresh_in=refresh_delay(unix, refresh_seconds),
    )


def seen_nonces_purge(*, now: dt.datetime) -> int:
    deleted, _ = SeenNonce.objects.filter(seen_at__lt=now - NONCE_RETENTION).delete()
    return deleted
