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
    # The next follow-up (home observation) or self-report (health monitoring) is due by then;
    # the worklist reads it. Null once the case is closed.
    next_follow_up_due = models.DateTimeField(_("next follow-up due"), null=True, blank=True)
    # The worker's deadline: raise a FOLLOW_UP_OVERDUE alert from then on. Cleared by the worker's
    # compare-and-set when it raises, set again by the next follow-up.
    follow_up_alert_at = models.DateTimeField(null=True, blank=True)
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)

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
        indexes = [
            models.Index(fields=["compound", "status"]),
            # The worklist: active cases of some compounds, by when they are due.
            models.Index(
                fields=["next_follow_up_due"],
                condition=models.Q(status="active"),
                name="case_follow_up_due_idx",
            ),
            # The worker's scan: only rows with a pending deadline are in this index.
            models.Index(
                fields=["follow_up_alert_at"],
                condition=models.Q(follow_up_alert_at__isnull=False),
                name="case_follow_up_alert_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident.masked_name} {self.get_kind_display()}"


class FollowUp(models.Model):
    """One follow-up of a case: a neighbourhood worker's visit or call, or the person's own report."""

    class Method(models.TextChoices):
        DOORSTEP = "doorstep", _("At the door")
        PHONE = "phone", _("By phone")
        SELF_REPORT = "self_report", _("Self-report")

    class Symptom(models.TextChoices):
        COUGH = "cough", _("Cough")
        SORE_THROAT = "sore_throat", _("Sore throat")
        FATIGUE = "fatigue", _("Fatigue")
        SHORT_BREATH = "short_breath", _("Shortness of breath")
        MUSCLE_ACHE = "muscle_ache", _("Muscle ache")
        DIARRHOEA = "diarrhoea", _("Diarrhoea")
        TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
        OTHER = "other", _("Other")

    class Need(models.TextChoices):
        FOOD = "food", _("Food and groceries")
        MEDICINE = "medicine", _("Medicine")
        RUBBISH = "rubbish", _("Rubbish collection")
        OTHER = "other", _("Other help")

    case = models.ForeignKey(ObservationCase, on_delete=models.CASCADE, related_name="follow_ups")
    at = models.DateTimeField(_("at"))
    method = models.CharField(_("how"), max_length=12, choices=Method.choices)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    fever = models.BooleanField(_("fever"), default=False)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor_label = models.CharField(_("by"), max_length=150)
    # The deadline this follow-up met (or came after), so the history shows missed slots.
    slot_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-at"]
        indexes = [models.Index(fields=["case", "-at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(temperature_c__gte=34) & models.Q(temperature_c__lte=43),
                name="follow_up_body_temperature",
                violation_error_message=_("A body temperature is between 34.0 and 43.0 °C."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%m-%d %H:%M}"

    def symptom_labels(self) -> list[str]:
        return [str(self.Symptom(s).label) for s in self.symptoms if s in self.Symptom.values]

    def need_labels(self) -> list[str]:
        return [str(self.Need(n).label) for n in self.needs if n in self.Need.values]
