"""Raising, acknowledging, assigning, resolving and escalating alerts, and delivering notices.

`alert_raise` is the entry point every capability uses. An alert with the same dedupe key that is
not resolved yet absorbs the new evidence instead of opening another: no alert storms.

Notices go through an outbox (`Notification` rows written in the alert's transaction) that the
worker delivers; escalation is a worker job too. Both claim rows with a compare-and-set UPDATE on
their deadline column, so two workers never escalate or notify twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.accounts.models import User
from gatehouse.alerts.channels import (
    Notice,
    Recipient,
    channel_by_name,
    configured_channel_names,
)
from gatehouse.alerts.models import LEVEL_ORDER, Alert, AlertEvent, Notification
from gatehouse.core.audit import SYSTEM, Actor, audit_record
from gatehouse.core.roles import Capability, Role, Scope
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, Neighbourhood

logger = logging.getLogger("gatehouse.alerts")

MAX_EVIDENCE_ITEMS = 50
NOTIFY_MAX_ATTEMPTS = 6
# How long a worker holds a notification it is sending before another may retry it (a worker
# killed mid-send): delivery is at least once, never lost.
NOTIFY_LEASE = dt.timedelta(seconds=60)
NOTIFY_KEEP = dt.timedelta(days=30)


def _escalation_delay(neighbourhood: Neighbourhood) -> dt.timedelta:
    return dt.timedelta(minutes=neighbourhood.street.district.alert_escalation_minutes)


def alert_raise(
    *,
    kind: str,
    severity: int,
    neighbourhood: Neighbourhood,
    title: str,
    dedupe_key: str,
    evidence: dict[str, Any],
    compound: Compound | None = None,
    subject: Resident | None = None,
    subject_label: str = "",
    at: dt.datetime | None = None,
) -> tuple[Alert, bool]:
    """Open an alert, or add `evidence` to the unresolved one with the same key. Returns (alert, created)."""
    now = at or timezone.now()
    item = {"at": now.isoformat(), **evidence}
    for _attempt in range(3):
        with transaction.atomic():
            existing = (
                Alert.objects.select_for_update()
                .filter(dedupe_key=dedupe_key)
                .exclude(status=Alert.Status.RESOLVED)
                .first()
            )
            if existing is not None:
                existing.evidence = [*existing.evidence, item][-MAX_EVIDENCE_ITEMS:]
                existing.evidence_count += 1
                existing.last_evidence_at = now
                existing.severity = max(existing.severity, severity)
                existing.save(
                    update_fields=["evidence", "evidence_count", "last_evidence_at", "severity", "updated_at"]
                )
                return existing, False
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        kind=kind,
                        severity=severity,
                        neighbourhood=neighbourhood,
                        compound=compound,
                        subject_resident=subject,
                        subject_label=subject_label or (subject.masked_name if subject else ""),
                        title=title[:200],
                        dedupe_key=dedupe_key[:120],
                        evidence=[item],
                        raised_at=now,
                        last_evidence_at=now,
                        escalate_at=now + _escalation_delay(neighbourhood),
                    )
            except IntegrityError:
                continue  # another process opened it between our read and insert: absorb into it
            _event(alert, AlertEvent.Kind.RAISED, SYSTEM.label, at=now)
            _enqueue(alert, Alert.Level.NEIGHBOURHOOD, Notification.Reason.RAISED, now)
            return alert, True
    raise RuntimeError("could not raise alert")  # pragma: no cover - needs three consecutive races


def _event(alert: Alert, kind: str, actor_label: str, *, at: dt.datetime, note: str = "") -> None:
    AlertEvent.objects.create(
        alert=alert, at=at, kind=kind, level=alert.level, actor_label=actor_label[:150], note=note[:300]
    )


def _enqueue(alert: Alert, level: str, reason: str, now: dt.datetime) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                alert=alert, channel=name, level=level, reason=reason, created_at=now, next_attempt_at=now
            )
            for name in configured_channel_names()
        ]
    )


def _audit(actor: Actor, alert: Alert, detail: str) -> None:
    audit_record(
        actor=actor,
        action="update",
        object_type="alert",
        object_id=alert.id,
        subject_resident_id=alert.subject_resident_id,
        detail=detail,
    )


def _require(scope: Scope) -> None:
    if not scope.can(Capability.HANDLE_ALERTS):
        raise PermissionDenied(_("Your role may not handle alerts."))


def alert_acknowledge(*, scope: Scope, actor: Actor, alert: Alert) -> Alert:
    """Take the alert: it is yours and stops escalating. `alert` must come from a scoped selector."""
    _require(scope)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(id=alert.id)
        if locked.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]})
        if locked.status == Alert.Status.OPEN:
            now = timezone.now()
            locked.status = Alert.Status.ACKNOWLEDGED
            locked.acknowledged_at = now
            locked.acknowledged_by = actor.label
            locked.assignee_id = actor.user_id
            locked.escalate_at = None
            locked.save()
            _event(locked, AlertEvent.Kind.ACKNOWLEDGED, actor.label, at=now)
            _audit(actor, locked, "alert acknowledged")
    return locked


def alert_assign(*, scope: Scope, actor: Actor, alert: Alert, assignee: User) -> Alert:
    """Hand the alert to a colleague who can reach it; naming someone stops the escalation."""
    _require(scope)
    from gatehouse.alerts.selectors import alert_list

    assignee_scope = assignee.scope
    if (
        not assignee.is_active
        or not assignee_scope.can(Capability.HANDLE_ALERTS)
        or not alert_list(scope=assignee_scope).filter(id=alert.id).exists()
    ):
        raise ValidationError({"assignee": [_("This person cannot handle this alert.")]})
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(id=alert.id)
        if locked.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]})
        now = timezone.now()
        if locked.status == Alert.Status.OPEN:
            locked.status = Alert.Status.ACKNOWLEDGED
            locked.acknowledged_at, locked.acknowledged_by = now, actor.label
        locked.assignee = assignee
        locked.escalate_at = None
        locked.save()
        _event(locked, AlertEvent.Kind.ASSIGNED, actor.label, at=now, note=assignee.label)
        _audit(actor, locked, f"alert assigned to {assignee.username}")
    return locked


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say how it was resolved.")]})
    if len(note) > 2000:
        raise ValidationError({"note": [_("At most 2000 characters.")]})
    return note


def _resolve_locked(locked: Alert, actor: Actor, note: str, now: dt.datetime) -> None:
    if locked.acknowledged_at is None:
        locked.acknowledged_at, locked.acknowledged_by = now, actor.label
    locked.status = Alert.Status.RESOLVED
    locked.resolved_at = now
    locked.resolved_by = actor.label
    locked.resolution_note = note
    locked.escalate_at = None
    locked.save()
    _event(locked, AlertEvent.Kind.RESOLVED, actor.label, at=now, note=note)
    _audit(actor, locked, "alert resolved")


def alert_resolve(*, scope: Scope, actor: Actor, alert: Alert, note: str) -> Alert:
    """Close the alert with a note saying what was done."""
    _require(scope)
    note = _clean_note(note)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(id=alert.id)
        if locked.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]})
        _resolve_locked(locked, actor, note, timezone.now())
    return locked


def alert_resolve_by_key(*, dedupe_key: str, actor: Actor, note: str) -> Alert | None:
    """Resolve the unresolved alert with this key, if any: the cause went away (a follow-up was
    recorded, the case was closed). For other apps' services; no scope check."""
    note = _clean_note(note)
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update()
            .filter(dedupe_key=dedupe_key)
            .exclude(status=Alert.Status.RESOLVED)
            .first()
        )
        if locked is None:
            return None
        _resolve_locked(locked, actor, note, timezone.now())
    return locked


# --- the worker's jobs -------------------------------------------------------------------------


def _next_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(Alert.Level(level))
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


def alerts_escalate_due(*, now: dt.datetime, batch: int = 200) -> int:
    """Move alerts nobody took in time one level up, tell that level, and restart the clock.

    A row is claimed by an UPDATE that matches the deadline and level we read: when two workers
    race, the second UPDATE matches nothing and that worker moves on.
    """
    due = list(
        Alert.objects.filter(escalate_at__lte=now, status=Alert.Status.OPEN)
        .order_by("escalate_at")
        .values_list(
            "id", "escalate_at", "level", "neighbourhood__street__district__alert_escalation_minutes"
        )[:batch]
    )
    escalated = 0
    for alert_id, deadline, level, minutes in due:
        new_level = _next_level(level)
        if new_level is None:
            # Already at the top: nobody above to tell. Clear the deadline (same compare-and-set).
            Alert.objects.filter(id=alert_id, escalate_at=deadline, level=level).update(escalate_at=None)
            continue
        # The district has nobody above it: its deadline is cleared, not reset.
        next_deadline = now + dt.timedelta(minutes=minutes) if _next_level(new_level) else None
        with transaction.atomic():
            claimed = Alert.objects.filter(
                id=alert_id, status=Alert.Status.OPEN, escalate_at=deadline, level=level
            ).update(level=new_level, escalate_at=next_deadline, escalated_at=now, updated_at=now)
            if not claimed:
                continue
            alert = Alert.objects.get(id=alert_id)
            _event(alert, AlertEvent.Kind.ESCALATED, SYSTEM.label, at=now)
            _enqueue(alert, new_level, Notification.Reason.ESCALATED, now)
        escalated += 1
    return escalated


def recipients_for(alert: Alert, level: str) -> tuple[Recipient, ...]:
    """The people who answer for `alert` at `level`: its neighbourhood's workers (and the building's
    manager), its street's officers, or the district command."""
    street = alert.neighbourhood.street
    if level == Alert.Level.NEIGHBOURHOOD:
        who = Q(role=Role.NEIGHBOURHOOD_WORKER, neighbourhood_id=alert.neighbourhood_id)
        if alert.compound_id is not None:
            who |= Q(role=Role.BUILDING_MANAGER, compound_id=alert.compound_id)
    elif level == Alert.Level.STREET:
        who = Q(role=Role.STREET_OFFICER, street_id=street.id)
    else:
        who = Q(role=Role.DISTRICT_COMMAND, district_id=street.district_id)
    people = []
    for user in User.objects.filter(who, is_active=True).select_related("alert_contact").order_by("id"):
        contact = getattr(user, "alert_contact", None)
        people.append(
            Recipient(
                label=user.label,
                email=user.email if (contact is None or contact.email) else "",
                phone=contact.phone if (contact is not None and contact.sms) else "",
            )
        )
    return tuple(people)


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 1800))


def notifications_deliver_due(*, now: dt.datetime, batch: int = 100) -> int:
    """Send waiting notices. Each is claimed by a compare-and-set on its deadline and leased for
    NOTIFY_LEASE; a gateway error schedules a retry with backoff, and after NOTIFY_MAX_ATTEMPTS the
    row is marked failed (logged). The alert itself is on the board whatever happens here."""
    due = list(
        Notification.objects.filter(next_attempt_at__lte=now, status=Notification.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("id", "next_attempt_at")[:batch]
    )
    sent = 0
    for notification_id, deadline in due:
        claimed = Notification.objects.filter(
            id=notification_id, status=Notification.Status.PENDING, next_attempt_at=deadline
        ).update(next_attempt_at=now + NOTIFY_LEASE, attempts=F("attempts") + 1)
        if not claimed:
            continue
        notification = Notification.objects.select_related(
            "alert__neighbourhood__street", "alert__compound"
        ).get(id=notification_id)
        alert = notification.alert
        try:
            notice = Notice(
                alert=alert,
                level=notification.level,
                reason=notification.reason,
                recipients=recipients_for(alert, notification.level),
            )
            reached = channel_by_name(notification.channel).send(notice)
        except Exception as exc:  # any gateway failure: keep the row and retry later
            _delivery_failed(notification, exc, now)
            continue
        Notification.objects.filter(id=notification_id).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), next_attempt_at=None, recipients=reached
        )
        sent += 1
    return sent


def _delivery_failed(notification: Notification, exc: Exception, now: dt.datetime) -> None:
    error = f"{exc.__class__.__name__}: {exc}"[:300]
    if notification.attempts >= NOTIFY_MAX_ATTEMPTS:
        logger.error(
            "giving up %s notice for alert %s after %d attempts: %s",
            notification.channel,
            notification.alert_id,
            notification.attempts,
            error,
        )
        Notification.objects.filter(id=notification.id).update(
            status=Notification.Status.FAILED, next_attempt_at=None, last_error=error
        )
        return
    logger.warning(
        "%s notice for alert %s failed (attempt %d), retrying: %s",
        notification.channel,
        notification.alert_id,
        notification.attempts,
        error,
    )
    Notification.objects.filter(id=notification.id).update(
        next_attempt_at=now + _retry_delay(notification.attempts), last_error=error
    )


def notifications_purge(*, now: dt.datetime, batch: int = 5000) -> int:
    """Drop delivered and abandoned outbox rows after NOTIFY_KEEP; the alert keeps its timeline."""
    ids = list(
        Notification.objects.filter(
            status__in=[Notification.Status.SENT, Notification.Status.FAILED],
            created_at__lt=now - NOTIFY_KEEP,
        ).values_list("id", flat=True)[:batch]
    )
    deleted, _per_model = Notification.objects.filter(id__in=ids).delete()
    return deleted
