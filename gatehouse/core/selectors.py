"""Reads of the audit trail."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from gatehouse.core.models import AuditEntry
from gatehouse.core.roles import Capability, Scope


def audit_list(
    *,
    scope: Scope,
    actor: str = "",
    action: str | None = None,
    object_type: str = "",
    subject_resident_id: uuid.UUID | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry] | None:
    """The trail, filtered; None when the caller may not read it at all."""
    if not scope.can(Capability.VIEW_AUDIT) or scope.district_id is None:
        return None
    qs = AuditEntry.objects.all().order_by("-seq")
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if subject_resident_id:
        qs = qs.filter(subject_resident_id=subject_resident_id)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs
