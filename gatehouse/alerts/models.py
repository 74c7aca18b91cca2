"""One queue for everything that needs a person: gate fevers, wristband events, uncovered gates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, Neighbourhood


class Alert(BaseModel):
    """An event someone must act on; at most one open alert per dedupe key (case and kind)."""

    class AlertKind(models.TextChoices):
        GATE_FEVER = "gate_fever", _("Fever at a gate")
        GATE_OBSERVATION_EXIT = "gate_observation_exit", _("Person under home observation at a gate")
        GATE_OFFLINE_CHANGED = "gate_offline_changed", _("Offline gate decision overturned")
        GEOFENCE_EXIT = "geofence_exit", _("Left home")
        WRISTBAND_FEVER = "wristband_fever", _("Fever on wristband")
        WRISTBAND_REMOVED = "wristband_removed", _("Wristband removed")
        WRISTBAND_BATTERY = "wristband_battery", _("Wristband battery low")
        WRISTBAND_SILENT = "wristband_silent", _("Wristband silent")
        FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up overdue")
        SYMPTOM_REPORT = "symptom_report", _("Symptoms reported")
        GATE_UNCOVERED = "gate_uncovered", _("Gate left uncovered")
        PATROL_MISSED = "patrol_missed", _("Patrol check-point missed")
        OTHER = "other", _("Other")

    Kind = AlertKind

    class Severity(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        CRITICAL = 4, _("Critical")

    class AlertStatus(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    Status = AlertStatus

    class Level(models.TextChoices):
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")
        STREET = "street", _("Street")
        DISTRICT = "district", _("District")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    level = models.CharField(_("level"), max_length=13, choices=Level.choices, default=Level.NEIGHBOURHOOD)
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="alerts")
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    subject_resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    subject_label = models.CharField(_("subject"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=200)
    dedupe_key = models.CharField(max_length=120)
    evidence = models.JSONField(default=list)
    evidence_count = models.PositiveIntegerField(default=1)
    raised_at = models.DateTimeField(_("raised at"))
    last_evidence_at = models.DateTimeField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    # Deadline for the worker: escalate when nobody acknowledged by then. Null once acknowledged,
    # resolved, or escalated to the top (the district has nobody above it).
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~models.Q(status="resolved"),
                name="one_unresolved_alert_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["escalate_at"],
                condition=models.Q(escalate_at__isnull=False),
                name="alert_escalate_due_idx",
            ),
            models.Index(fields=["neighbourhood", "status", "-raised_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def escalated(self) -> bool:
        return self.level != self.Level.NEIGHBOURHOOD

    @property
    def evidence_summary(self) -> str:
        """The latest report in one line, e.g. `temp_c=38.4, worn=True` (record ids left out)."""
        if not self.evidence:
            return ""
        latest = self.evidence[-1]
        return ", ".join(f"{k}={v}" for k, v in latest.items() if k not in ("at", "case"))[:200]


LEVEL_ORDER = [Alert.Level.NEIGHBOURHOOD, Alert.Level.STREET, Alert.Level.DISTRICT]


class AlertEvent(models.Model):
    """One step in an alert's life, for its timeline: raised, escalated, taken, assigned, resolved."""

    class EventKind(models.TextChoices):
        RAISED = "raised", _("Raised")
        ESCALATED = "escalated", _("Escalated")
        ACKNOWLEDGED = "acknowledged", _("Taken")
        ASSIGNED = "assigned", _("Assigned")
        RESOLVED = "resolved", _("Resolved")

    Kind = EventKind

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    level = models.CharField(max_length=13, choices=Alert.Level.choices)
    actor_label = models.CharField(max_length=150)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%H:%M}"


class Notification(models.Model):
    """An outbox row: tell one level about an alert through one channel.

    Written in the alert's own transaction and delivered by the worker, so a slow or broken gateway
    never delays the alert or loses it: the row waits and is retried.
    """

    class NotificationStatus(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class NotificationReason(models.TextChoices):
        RAISED = "raised", _("Raised")
        ESCALATED = "escalated", _("Escalated")

    Status = NotificationStatus
    Reason = NotificationReason

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=20)
    level = models.CharField(max_length=13, choices=Alert.Level.choices)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker's deadline: deliver (or retry) from then on. Null once sent or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="notification_due_idx",
            ),
            models.Index(fields=["status", "created_at"], name="notification_purge_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.level} {self.status}"


class Contact(models.Model):
    """How an alert handler is reached outside the app: a mobile number for the SMS gateway.

    E-mail goes to the user's own address; an empty phone means no SMS for this person.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_contact"
    )
    phone = models.CharField(_("mobile for SMS alerts"), max_length=20, blank=True)
    sms = models.BooleanField(_("send SMS"), default=True)
    email = models.BooleanField(_("send e-mail"), default=True)

    class Meta:
        verbose_name = _("alert contact")
        verbose_name_plural = _("alert contacts")

    def __str__(self) -> str:
        return str(self.user)
