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
    # Deadline for the worker: escalate when nobody acknowledged by then. Null once acknowledged.
    escalate_at = models.DateTimeField(null=True, blank=True)

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
