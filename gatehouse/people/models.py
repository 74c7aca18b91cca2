"""Households, residents, their vehicles, and the health colour every pass shows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.places.models import Compound


class Household(BaseModel):
    """One flat or room: the unit meals, deliveries and home observation are addressed to."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="households")
    building = models.CharField(_("building"), max_length=20)
    room = models.CharField(_("room"), max_length=20)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "building", "room"],
                name="household_unique_address",
                violation_error_message=_("This compound already has a household at this building and room."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.building}-{self.room}"

    @property
    def address_label(self) -> str:
        return _("Building %(building)s, room %(room)s") % {"building": self.building, "room": self.room}


class HealthColour(models.TextChoices):
    GREEN = "green", _("Green: normal")
    YELLOW = "yellow", _("Yellow: health monitoring")
    RED = "red", _("Red: home observation, must not leave")


class Resident(BaseModel):
    """A person living in a compound (or working in a commercial building)."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class ResidentStatus(models.TextChoices):
        ACTIVE = "active", _("Living here")
        MOVED_OUT = "moved_out", _("Moved out")
        DECEASED = "deceased", _("Deceased")

    Status = ResidentStatus

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    # Denormalised from the household: every scoped read filters on it, so it saves a join.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="residents")
    name = models.CharField(_("name"), max_length=40, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    id_number_ciphertext = models.BinaryField(null=True, editable=False)
    id_number_hash = models.CharField(max_length=64, null=True, editable=False)
    id_number_masked = models.CharField(_("identity number"), max_length=18, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    left_at = models.DateTimeField(null=True, blank=True, editable=False)
    health_colour = models.CharField(
        _("health colour"), max_length=6, choices=HealthColour.choices, default=HealthColour.GREEN
    )
    health_colour_reason = models.CharField(_("why"), max_length=200, blank=True)
    health_colour_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=models.Q(id_number_hash__isnull=False),
                name="resident_id_number_unique",
                violation_error_message=_("A resident with this identity number is already registered."),
            )
        ]
        indexes = [
            models.Index(fields=["compound", "status"]),
            models.Index(fields=["status", "left_at"], name="resident_retention_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_name(self) -> str:
        """张*明: what gate staff see."""
        return mask_name(self.name)


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


class ResidentTag(models.Model):
    """A need or circumstance the neighbourhood must know: who lives alone, who needs meals."""

    class Tag(models.TextChoices):
        ELDERLY_ALONE = "elderly_alone", _("Elderly, living alone")
        NEEDS_MEALS = "needs_meals", _("Needs meals delivered")
        DISABLED = "disabled", _("Disability")
        CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")
        PREGNANT = "pregnant", _("Pregnant")
        NO_PHONE = "no_phone", _("No smartphone")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=20, choices=Tag.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_unique")]
        indexes = [models.Index(fields=["tag"])]

    def __str__(self) -> str:
        return self.tag


class HealthColourChange(models.Model):
    """Every colour change with its reason: the pass holder sees why, the district can audit."""

    class Reason(models.TextChoices):
        RETURNEE_REGISTRATION = "returnee_registration", _("Returnee registration")
        CASE_OPENED = "case_opened", _("Home observation started")
        CASE_RELEASED = "case_released", _("Home observation ended")
        MONITORING_STARTED = "monitoring_started", _("Health monitoring started")
        MONITORING_ENDED = "monitoring_ended", _("Health monitoring ended")
        OFFICER_DECISION = "officer_decision", _("Officer's decision")
        FEVER_AT_GATE = "fever_at_gate", _("Fever at a gate")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="colour_changes")
    at = models.DateTimeField()
    from_colour = models.CharField(max_length=6, choices=HealthColour.choices)
    to_colour = models.CharField(max_length=6, choices=HealthColour.choices)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.CharField(max_length=200, blank=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.from_colour} → {self.to_colour} ({self.reason})"


class Vehicle(BaseModel):
    """A vehicle known by plate, belonging to a household."""

    plate = models.CharField(_("plate"), max_length=12, unique=True)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="vehicles")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="vehicles")
    new_energy = models.BooleanField(_("new-energy"), default=False)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate"]

    def __str__(self) -> str:
        return self.plate
