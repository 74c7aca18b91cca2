"""Returnees (来沪/返沪人员): the district's key areas and each arrival's registration."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, District, Gate


class KeyArea(BaseModel):
    """A province or city the district names as a key epidemic area, from one date to another."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="key_areas")
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=40, blank=True, help_text=_("Empty: the whole province."))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: still in force."))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("key area")
        verbose_name_plural = _("key areas")
        ordering = ["province", "city", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="key_area_ends_after_start",
                violation_error_message=_("The end must not be before the start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.province}{self.city}"


class Transport(models.TextChoices):
    TRAIN = "train", _("Train")
    PLANE = "plane", _("Plane")
    COACH = "coach", _("Coach")
    CAR = "car", _("Car")
    SHIP = "ship", _("Ship")
    OTHER = "other", _("Other")


class ReturneeSymptom(models.TextChoices):
    NONE = "none", _("None")
    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    FATIGUE = "fatigue", _("Fatigue")
    BREATHING = "breathing", _("Short of breath")
    SORE_THROAT = "sore_throat", _("Sore throat")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")


class ReturneeRegistration(BaseModel):
    """One arrival from outside Shanghai, its answers and its classification."""

    class Via(models.TextChoices):
        GATE = "gate", _("At the gate")
        SELF = "self", _("By the resident")
        WORKER = "worker", _("By the neighbourhood")

    class Classification(models.TextChoices):
        HOME_OBSERVATION = "home_observation", _("Home observation")
        HEALTH_MONITORING = "health_monitoring", _("Health monitoring")
        PERIOD_OVER = "period_over", _("Period already over")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="returnee_registrations")
    # Denormalised for scoped reads, like Resident.compound.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="returnee_registrations")
    origin_province = models.CharField(_("from province"), max_length=20)
    origin_city = models.CharField(_("from city"), max_length=40)
    departed_on = models.DateField(_("left on"))
    arrived_on = models.DateField(_("arrived on"))
    transport = models.CharField(_("transport"), max_length=10, choices=Transport.choices)
    transport_number = models.CharField(_("train, flight or plate number"), max_length=20, blank=True)
    visits = models.JSONField(_("key-area stays and transits"), default=list, blank=True)
    contact_confirmed = models.BooleanField(_("contact with a confirmed case"), default=False)
    contact_suspected = models.BooleanField(_("contact with a suspected case"), default=False)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True)
    classification = models.CharField(_("classification"), max_length=20, choices=Classification.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reasons = models.JSONField(default=list)
    case_id = models.UUIDField(null=True, blank=True)
    via = models.CharField(_("registered"), max_length=8, choices=Via.choices)
    registered_by = models.CharField(max_length=150)
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("returnee registration")
        verbose_name_plural = _("returnee registrations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(arrived_on__gte=models.F("departed_on")),
                name="returnee_arrives_after_leaving",
                violation_error_message=_("The arrival must not be before the departure."),
            )
        ]
        indexes = [
            models.Index(fields=["resident", "-ends_on"]),
            models.Index(fields=["compound", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.resident.masked_name} {self.origin_province}{self.origin_city}"
