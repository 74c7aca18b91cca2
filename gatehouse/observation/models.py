"""Home observation (居家隔离观察) and health monitoring cases."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.people.models import Household, Resident
from gatehouse.places.models import Compound


class ObservationCase(BaseModel):
    """A person kept at home (or monitored) for a set number of days."""

    class CaseKind(models.TextChoices):
        HOME_OBSERVATION = "home_observation", _("Home observation")
        HEALTH_MONITORING = "health_monitoring", _("Health monitoring")

    Kind = CaseKind

    class CaseStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        RELEASED = "released", _("Released")
        HOSPITAL = "hospital", _("Transferred to hospital")
        CENTRAL_QUARANTINE = "central_quarantine", _("Moved to central quarantine")

    Status = CaseStatus

    class Source(models.TextChoices):
        RETURNEE_REGISTRATION = "returnee_registration", _("Returnee registration")
        MANUAL = "manual", _("Opened by hand")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="observation_cases")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="observation_cases")
    # Denormalised for scoped reads, like Resident.compound.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="observation_cases")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(_("source"), max_length=25, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("planned end"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True)
    close_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("observation case")
        verbose_name_plural = _("observation cases")
        ordering = ["ends_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(status="active"),
                name="one_active_case_per_resident",
                violation_error_message=_("This person already has an active case."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="case_ends_after_start",
                violation_error_message=_("The planned end must not be before the start."),
            ),
        ]
        indexes = [models.Index(fields=["compound", "status"])]

    def __str__(self) -> str:
        return f"{self.resident.masked_name} {self.get_kind_display()}"
