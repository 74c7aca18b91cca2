"""Reads of observation cases, scoped to the caller's places (a resident: their own cases only).

Opening one case leaves an audit entry, like opening a resident's record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, F, JSONField, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.alerts.links import AlertLink
from gatehouse.alerts.models import Alert
from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.observation.models import FollowUp, ObservationCase


def case_list(
    *, scope: Scope, status: str | None = ObservationCase.Status.ACTIVE, kind: str | None = None
) -> QuerySet[ObservationCase]:
    qs = scope.restrict(
        ObservationCase.objects.select_related("resident", "household", "compound__neighbourhood"),
        Capability.VIEW_OBSERVATION,
        to_compound="compound",
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("ends_on", "id")


def alert_case_links(alert: Alert, scope: Scope) -> list[AlertLink]:
    """The observation case an alert is about, if the caller may see it: the active one, else the
    latest (an alert about someone released or moved to hospital is still about that case)."""
    if alert.subject_resident_id is None:
        return []
    cases = case_list(scope=scope, status=None).filter(resident_id=alert.subject_resident_id)
    chosen = (
        cases.filter(status=ObservationCase.Status.ACTIVE).first()
        or cases.order_by("-starts_on", "-created_at").first()
    )
    if chosen is None:
        return []
    label = _("Observation case: %(kind)s, %(status)s") % {
        "kind": chosen.get_kind_display(),
        "status": chosen.get_status_display(),
    }
    return [AlertLink(label=label, url=reverse("observation:case", args=[chosen.id]))]


def case_get(*, scope: Scope, case_id: uuid.UUID | str) -> ObservationCase:
    """For a write or a list action: the caller's service records what it does."""
    try:
        return case_list(scope=scope, status=None).get(id=case_id)
    except (ObservationCase.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def case_open_record(*, scope: Scope, actor: Actor, case_id: uuid.UUID | str) -> ObservationCase:
    """Open a case to read it (health data of one person); audited."""
    case = case_get(scope=scope, case_id=case_id)
    audit_record(
        actor=actor,
        action="view",
        object_type="observation_case",
        object_id=case.id,
        subject_resident_id=case.resident_id,
    )
    return case


def follow_up_list(*, case: ObservationCase) -> QuerySet[FollowUp]:
    """Follow-ups of a case that came through a scoped selector."""
    return case.follow_ups.order_by("-at", "-id")


WORKLIST_LIMIT = 500


@dataclass(frozen=True)
class Worklist:
    cases: Sequence[ObservationCase]
    overdue: int
    due_today: int
    release_due: int
    done_today: int


def worklist(*, scope: Scope, now: dt.datetime | None = None) -> Worklist:
    """The neighbourhood's "due now" list: every active case by its next deadline, so what is
    overdue comes first, then what is due today, then the rest; with the last follow-up's needs."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tomorrow = dt.datetime.combine(
        today + dt.timedelta(days=1), dt.time(0, 0), tzinfo=timezone.get_current_timezone()
    )
    active = case_list(scope=scope)
    latest = FollowUp.objects.filter(case=OuterRef("pk")).order_by("-at", "-id")
    cases = list(
        active.annotate(
            last_needs=Subquery(latest.values("needs")[:1], output_field=JSONField()),
            last_temperature=Subquery(
                latest.values("temperature_c")[:1], output_field=DecimalField(max_digits=3, decimal_places=1)
            ),
        ).order_by(F("next_follow_up_due").asc(nulls_last=True), "ends_on", "id")[:WORKLIST_LIMIT]
    )
    for case in cases:
        due = case.next_follow_up_due
        case.need_labels = [  # type: ignore[attr-defined]
            str(FollowUp.Need(n).label) for n in (case.last_needs or []) if n in FollowUp.Need.values
        ]
        case.is_overdue = due is not None and due <= now  # type: ignore[attr-defined]
        case.is_due_today = due is not None and now < due < tomorrow  # type: ignore[attr-defined]
        case.release_due = case.ends_on <= today  # type: ignore[attr-defined]
    counts = active.aggregate(
        overdue=Count("id", filter=Q(next_follow_up_due__lte=now)),
        due_today=Count("id", filter=Q(next_follow_up_due__gt=now, next_follow_up_due__lt=tomorrow)),
        release_due=Count("id", filter=Q(ends_on__lte=today)),
    )
    done_today = FollowUp.objects.filter(case__in=active, at__date=today).values("case_id").distinct().count()
    return Worklist(
        cases=cases,
        overdue=counts["overdue"],
        due_today=counts["due_today"],
        release_due=counts["release_due"],
        done_today=done_today,
    )


def own_cases(*, scope: Scope) -> QuerySet[ObservationCase]:
    """A resident's own cases, newest first; nothing for anyone else."""
    if scope.resident_id is None or not scope.can(Capability.VIEW_OWN_RECORD):
        return ObservationCase.objects.none()
    return (
        ObservationCase.objects.filter(resident_id=scope.resident_id)
        .select_related("resident", "compound__neighbourhood")
        .order_by("-starts_on", "-created_at")
    )


def own_active_case(*, scope: Scope) -> ObservationCase | None:
    return own_cases(scope=scope).filter(status=ObservationCase.Status.ACTIVE).first()
