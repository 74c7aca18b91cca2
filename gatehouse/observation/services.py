"""Opening and closing observation cases, follow-ups and self-reports, and the overdue loop.

Opening a case changes the person's pass colour with a reason (through people's service); each
case carries its next follow-up deadline, which the worker turns into a FOLLOW_UP_OVERDUE alert
when it passes. A fever or symptoms in any follow-up raise a SYMPTOM_REPORT alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise, alert_resolve_by_key
from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.observation import schedule
from gatehouse.observation.models import FollowUp, ObservationCase
from gatehouse.people.models import HealthColour, HealthColourChange, Resident
from gatehouse.people.services import resident_health_colour_set

_OPEN_COLOUR = {
    ObservationCase.Kind.HOME_OBSERVATION: (HealthColour.RED, HealthColourChange.Reason.CASE_OPENED),
    ObservationCase.Kind.HEALTH_MONITORING: (
        HealthColour.YELLOW,
        HealthColourChange.Reason.MONITORING_STARTED,
    ),
}
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("43.0")
SELF_REPORTS_PER_DAY = 6
# A deadline is a deadline: the alert is raised as soon as it passes (escalation adds its own wait).
FOLLOW_UP_GRACE = dt.timedelta(0)


def _tz() -> dt.tzinfo:
    return schedule.zone(settings.TIME_ZONE)


def _require(scope: Scope | None, capability: Capability) -> None:
    if scope is not None and not scope.can(capability):
        raise PermissionDenied(_("Your role may not do this."))


def overdue_key(case: ObservationCase) -> str:
    return f"case:{case.id}:follow_up_overdue"


def symptoms_key(case: ObservationCase) -> str:
    return f"case:{case.id}:symptoms"


def case_open(
    *,
    actor: Actor,
    resident: Resident,
    kind: str,
    reason: str,
    source: str = ObservationCase.Source.MANUAL,
    starts_on: dt.date | None = None,
    days: int | None = None,
    scope: Scope | None = None,
    at: dt.datetime | None = None,
) -> ObservationCase:
    """Open a case for `resident` (already scoped by the caller). Length defaults to district policy.

    With `scope` (a person opening it by hand) the role must be allowed to edit cases.
    """
    _require(scope, Capability.EDIT_OBSERVATION)
    if kind not in ObservationCase.Kind.values:
        raise ValidationError({"kind": [_("Choose home observation or health monitoring.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the case.")]})
    if resident.status != Resident.Status.ACTIVE:
        raise ValidationError({"resident": [_("This person no longer lives here.")]})
    district = resident.compound.neighbourhood.street.district
    if days is None:
        days = (
            district.observation_days
            if kind == ObservationCase.Kind.HOME_OBSERVATION
            else district.health_monitoring_days
        )
    if not 1 <= days <= 60:
        raise ValidationError({"days": [_("A case lasts between 1 and 60 days.")]})
    now = at or timezone.now()
    today = timezone.localdate(now)
    starts_on = starts_on or today
    if abs((starts_on - today).days) > 30:
        raise ValidationError({"starts_on": [_("The start must be within 30 days of today.")]})
    # A case that starts later (a returnee registered ahead of arrival) is first due on that day.
    opened = max(now, dt.datetime.combine(starts_on, dt.time(0, 0), tzinfo=_tz()))
    first = schedule.first_due(kind, opened, _tz())
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = ObservationCase.objects.create(
                    resident=resident,
                    household=resident.household,
                    compound=resident.compound,
                    kind=kind,
                    source=source,
                    reason=reason[:300],
                    starts_on=starts_on,
                    ends_on=starts_on + dt.timedelta(days=days),
                    next_follow_up_due=first,
                    follow_up_alert_at=first + FOLLOW_UP_GRACE,
                )
        except IntegrityError:
            raise ValidationError({"resident": [_("This person already has an active case.")]}) from None
        colour, colour_reason = _OPEN_COLOUR[ObservationCase.Kind(kind)]
        resident_health_colour_set(
            actor=actor, resident=resident, colour=colour, reason=colour_reason, note=reason[:150]
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="observation_case",
            object_id=case.id,
            subject_resident_id=resident.id,
            detail=kind,
        )
    return case


def case_close(
    *, actor: Actor, case: ObservationCase, status: str, note: str = "", scope: Scope | None = None
) -> ObservationCase:
    """Release (from the planned end on), or hand over to hospital or central quarantine (any time)."""
    _require(scope, Capability.EDIT_OBSERVATION)
    if status not in {s for s in ObservationCase.Status.values if s != ObservationCase.Status.ACTIVE}:
        raise ValidationError({"status": [_("Choose how the case ends.")]})
    note = (note or "").strip()
    with transaction.atomic():
        locked = ObservationCase.objects.select_for_update().select_related("resident").get(id=case.id)
        if locked.status != ObservationCase.Status.ACTIVE:
            raise ValidationError({"status": [_("This case is already closed.")]})
        if status == ObservationCase.Status.RELEASED and timezone.localdate() < locked.ends_on:
            raise ValidationError(
                {
                    "status": [
                        _("The observation period runs until %(date)s; release is possible from then.")
                        % {"date": locked.ends_on.isoformat()}
                    ]
                }
            )
        locked.status = status
        locked.closed_at = timezone.now()
        locked.closed_by = actor.label
        locked.close_note = note[:300]
        locked.next_follow_up_due = None
        locked.follow_up_alert_at = None
        locked.save()
        if status == ObservationCase.Status.RELEASED:
            reason = (
                HealthColourChange.Reason.CASE_RELEASED
                if locked.kind == ObservationCase.Kind.HOME_OBSERVATION
                else HealthColourChange.Reason.MONITORING_ENDED
            )
            resident_health_colour_set(
                actor=actor,
                resident=locked.resident,
                colour=HealthColour.GREEN,
                reason=reason,
                note=note[:150],
            )
        alert_resolve_by_key(
            dedupe_key=overdue_key(locked),
            actor=actor,
            note=_("Case closed: %(status)s") % {"status": locked.get_status_display()},
        )
        audit_record(
            actor=actor,
            action="update",
            object_type="observation_case",
            object_id=locked.id,
            subject_resident_id=locked.resident_id,
            detail=f"closed: {status}",
        )
    return locked


def _clean_temperature(raw: Decimal | float | str | None) -> Decimal:
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.1")) if raw is not None and raw != "" else None
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite():
        raise ValidationError({"temperature_c": [_("Enter the body temperature in °C, e.g. 36.5.")]})
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise ValidationError(
            {"temperature_c": [_("A body temperature is between 34.0 and 43.0 °C (not °F).")]}
        )
    return value


def _clean_choices(field: str, values: Sequence[str], allowed: list[str]) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError({field: [_("Unknown choice: %(value)s.") % {"value": unknown[0][:30]}]})
    return sorted(set(values), key=allowed.index)


def _record(
    *,
    actor: Actor,
    case: ObservationCase,
    method: str,
    temperature_c: Decimal | float | str | None,
    symptoms: Sequence[str],
    needs: Sequence[str],
    note: str,
    at: dt.datetime,
) -> FollowUp:
    temperature = _clean_temperature(temperature_c)
    symptoms = _clean_choices("symptoms", symptoms, FollowUp.Symptom.values)
    needs = _clean_choices("needs", needs, FollowUp.Need.values)
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": [_("At most 300 characters.")]})
    with transaction.atomic():
        locked = (
            ObservationCase.objects.select_for_update()
            .select_related("resident", "compound__neighbourhood__street__district")
            .get(id=case.id)
        )
        if locked.status != ObservationCase.Status.ACTIVE:
            raise ValidationError({"case": [_("This case is closed.")]})
        if method == FollowUp.Method.SELF_REPORT:
            today = timezone.localdate(at)
            reports_today = locked.follow_ups.filter(
                method=FollowUp.Method.SELF_REPORT, at__date=today
            ).count()
            if reports_today >= SELF_REPORTS_PER_DAY:
                raise ValidationError({"case": [_("You have already reported several times today.")]})
        fever_line = locked.compound.neighbourhood.street.district.fever_line_c
        follow_up = FollowUp.objects.create(
            case=locked,
            at=at,
            method=method,
            temperature_c=temperature,
            fever=temperature >= fever_line,
            symptoms=symptoms,
            needs=needs,
            note=note,
            actor_label=actor.label,
            slot_due=locked.next_follow_up_due,
        )
        # A self-report is the schedule of health monitoring; home observation is the worker's job.
        moves_schedule = (
            method != FollowUp.Method.SELF_REPORT or locked.kind == ObservationCase.Kind.HEALTH_MONITORING
        )
        if moves_schedule:
            locked.next_follow_up_due = schedule.next_due(locked.kind, at, _tz())
            locked.follow_up_alert_at = locked.next_follow_up_due + FOLLOW_UP_GRACE
            locked.last_follow_up_at = at
            locked.save(
                update_fields=["next_follow_up_due", "follow_up_alert_at", "last_follow_up_at", "updated_at"]
            )
            alert_resolve_by_key(
                dedupe_key=overdue_key(locked),
                actor=actor,
                note=_("Follow-up recorded at %(time)s.")
                % {"time": timezone.localtime(at).strftime("%H:%M")},
            )
        if follow_up.fever or symptoms:
            _raise_symptoms(locked, follow_up, at)
        audit_record(
            actor=actor,
            action="create",
            object_type="follow_up",
            object_id=str(follow_up.id),
            subject_resident_id=locked.resident_id,
            detail=f"{method} for case {locked.id}",
        )
    return follow_up


def _raise_symptoms(case: ObservationCase, follow_up: FollowUp, at: dt.datetime) -> None:
    if follow_up.fever:
        title = _("Fever %(temp)s °C reported") % {"temp": follow_up.temperature_c}
    else:
        title = _("Symptoms reported: %(symptoms)s") % {"symptoms": ", ".join(follow_up.symptom_labels())}
    alert_raise(
        kind=Alert.Kind.SYMPTOM_REPORT,
        severity=Alert.Severity.HIGH if follow_up.fever else Alert.Severity.MEDIUM,
        neighbourhood=case.compound.neighbourhood,
        compound=case.compound,
        subject=case.resident,
        title=title,
        dedupe_key=symptoms_key(case),
        evidence={
            "temp_c": str(follow_up.temperature_c),
            "symptoms": follow_up.symptoms,
            "method": follow_up.method,
            "case": str(case.id),
        },
        at=at,
    )


def follow_up_record(
    *,
    scope: Scope,
    actor: Actor,
    case: ObservationCase,
    method: str,
    temperature_c: Decimal | float | str | None,
    symptoms: Sequence[str] | None = None,
    needs: Sequence[str] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> FollowUp:
    """A neighbourhood worker's follow-up of `case` (from a scoped selector): at the door or by phone."""
    _require(scope, Capability.EDIT_OBSERVATION)
    if method not in (FollowUp.Method.DOORSTEP, FollowUp.Method.PHONE):
        raise ValidationError({"method": [_("Choose at the door or by phone.")]})
    return _record(
        actor=actor,
        case=case,
        method=method,
        temperature_c=temperature_c,
        symptoms=symptoms or [],
        needs=needs or [],
        note=note,
        at=at or timezone.now(),
    )


def self_report_submit(
    *,
    scope: Scope,
    actor: Actor,
    case: ObservationCase,
    temperature_c: Decimal | float | str | None,
    symptoms: Sequence[str] | None = None,
    needs: Sequence[str] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> FollowUp:
    """The resident's own daily report from their phone, for their own active case."""
    if scope.resident_id is None or scope.resident_id != case.resident_id:
        raise PermissionDenied(_("You may report only for yourself."))
    return _record(
        actor=actor,
        case=case,
        method=FollowUp.Method.SELF_REPORT,
        temperature_c=temperature_c,
        symptoms=symptoms or [],
        needs=needs or [],
        note=note,
        at=at or timezone.now(),
    )


def follow_ups_overdue_raise(*, now: dt.datetime, batch: int = 500) -> int:
    """The worker's job: one FOLLOW_UP_OVERDUE alert for each case whose deadline passed.

    Each case is claimed by an UPDATE that clears the deadline we read; a second worker's UPDATE
    matches nothing and it skips the case. The claim and the alert commit together.
    """
    due = list(
        ObservationCase.objects.filter(follow_up_alert_at__lte=now, status=ObservationCase.Status.ACTIVE)
        .order_by("follow_up_alert_at")
        .values_list("id", "follow_up_alert_at")[:batch]
    )
    raised = 0
    for case_id, deadline in due:
        with transaction.atomic():
            claimed = ObservationCase.objects.filter(
                id=case_id, follow_up_alert_at=deadline, status=ObservationCase.Status.ACTIVE
            ).update(follow_up_alert_at=None)
            if not claimed:
                continue
            case = ObservationCase.objects.select_related("resident", "compound__neighbourhood").get(
                id=case_id
            )
            due_at = timezone.localtime(case.next_follow_up_due or deadline)
            if case.kind == ObservationCase.Kind.HEALTH_MONITORING:
                title = _("Daily self-report missing since %(time)s") % {
                    "time": due_at.strftime("%m-%d %H:%M")
                }
            else:
                title = _("Follow-up overdue since %(time)s") % {"time": due_at.strftime("%m-%d %H:%M")}
            alert_raise(
                kind=Alert.Kind.FOLLOW_UP_OVERDUE,
                severity=Alert.Severity.MEDIUM,
                neighbourhood=case.compound.neighbourhood,
                compound=case.compound,
                subject=case.resident,
                title=title,
                dedupe_key=overdue_key(case),
                evidence={"due": due_at.strftime("%Y-%m-%d %H:%M"), "case": str(case.id)},
                at=now,
            )
        raised += 1
    return raised


def release_notice_export(*, actor: Actor, case: ObservationCase) -> bytes:
    """The release notice of a released case, as PDF; handing out personal data is audited."""
    from gatehouse.observation.notice import release_notice_pdf

    if case.status != ObservationCase.Status.RELEASED:
        raise ValidationError({"status": [_("Only a released case has a release notice.")]})
    pdf = release_notice_pdf(case=case)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            object_type="observation_case",
            object_id=case.id,
            subject_resident_id=case.resident_id,
            detail="release notice",
        )
    return pdf


def cases_purge_closed(*, now: dt.datetime, batch: int = 500) -> int:
    """Delete cases closed longer ago than their district keeps health records, with their
    follow-ups and self-reports. Run by the worker."""
    from gatehouse.core.audit import SYSTEM
    from gatehouse.places.models import District

    purged = 0
    for district in District.objects.all():
        cutoff = now - dt.timedelta(days=district.health_record_retention_days)
        while True:
            ids = list(
                ObservationCase.objects.filter(
                    compound__neighbourhood__street__district=district, closed_at__lt=cutoff
                )
                .exclude(status=ObservationCase.Status.ACTIVE)
                .values_list("id", "resident_id")[:batch]
            )
            if not ids:
                break
            with transaction.atomic():
                for case_id, resident_id in ids:
                    audit_record(
                        actor=SYSTEM,
                        action="delete",
                        object_type="observation_case",
                        object_id=case_id,
                        subject_resident_id=resident_id,
                        detail="retention period ended",
                    )
                ObservationCase.objects.filter(id__in=[i for i, _ in ids]).delete()
            purged += len(ids)
    return purged
