"""Raising, acknowledging and resolving alerts.

`alert_raise` is the entry point every capability uses. An alert with the same dedupe key that is
not resolved yet absorbs the new evidence instead of opening another: no alert storms.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.alerts.models import Alert
from gatehouse.core.audit import Actor
from gatehouse.core.roles import Capability, Scope
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, Neighbourhood

MAX_EVIDENCE_ITEMS = 50


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
            transaction.on_commit(functools.partial(_notify, alert))
            return alert, True
    raise RuntimeError("could not raise alert")  # pragma: no cover - needs three consecutive races


def _notify(alert: Alert) -> None:
    from gatehouse.alerts.channels import notify_all

    notify_all(alert)


def _require(scope: Scope) -> None:
    if not scope.can(Capability.HANDLE_ALERTS):
        raise PermissionDenied(_("Your role may not handle alerts."))


def alert_acknowledge(*, scope: Scope, actor: Actor, alert: Alert) -> Alert:
    """Take the alert: stops escalation. `alert` must come from a scoped selector."""
    _require(scope)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(id=alert.id)
        if locked.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]})
        if locked.status == Alert.Status.OPEN:
            locked.status = Alert.Status.ACKNOWLEDGED
            locked.acknowledged_at = timezone.now()
            locked.acknowledged_by = actor.label
            locked.assignee_id = actor.user_id
            locked.escalate_at = None
            locked.save()
    return locked


def alert_resolve(*, scope: Scope, actor: Actor, alert: Alert, note: str) -> Alert:
    _require(scope)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say how it was resolved.")]})
    if len(note) > 2000:
        raise ValidationError({"note": [_("At most 2000 characters.")]})
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(id=alert.id)
        if locked.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]})
        now = timezone.now()
        if locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by = now, actor.label
        locked.status = Alert.Status.RESOLVED
        locked.resolved_at = now
        locked.resolved_by = actor.label
        locked.resolution_note = note
        locked.escalate_at = None
        locked.save()
    return locked
