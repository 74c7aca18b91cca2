"""Wristbands (智能手环), their binding to an observation case, and the telemetry they send.

Telemetry is the hot table: on PostgreSQL it is partitioned by day (migration 0002) so the
retention purge drops whole partitions; on SQLite it stays a plain table.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.observation.models import ObservationCase
from gatehouse.places.models import Compound, Neighbourhood

# A serial is also the device's broker user name and a topic level: no '/', '+', '#' or spaces.
SERIAL_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,31}$"
serial_validator = RegexValidator(SERIAL_PATTERN, _("A serial is 4 to 32 capital letters, digits or dashes."))


class Wristband(BaseModel):
    """One device in a neighbourhood's stock; bound to at most one active case at a time."""

    class WristbandStatus(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        BOUND = "bound", _("Bound")
        RETIRED = "retired", _("Retired")

    Status = WristbandStatus

    serial = models.CharField(_("serial"), max_length=32, unique=True, validators=[serial_validator])
    model = models.CharField(_("model"), max_length=40)
    firmware = models.CharField(_("firmware"), max_length=40, blank=True)
    battery_pct = models.PositiveSmallIntegerField(
        _("battery (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="wristbands")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.IN_STOCK)
    # One secret per device, never stored in the clear: a SHA-256 for the HTTP endpoint and a
    # Mosquitto PBKDF2 hash for the broker's password file.
    secret_hash = models.CharField(max_length=64, blank=True)
    broker_hash = models.CharField(max_length=200, blank=True)
    credentials_issued_at = models.DateTimeField(null=True, blank=True)
    # Written lazily by the ingester (at most about once a minute per device).
    last_seq = models.BigIntegerField(null=True, blank=True)
    last_recorded_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last heard"), null=True, blank=True)

    class Meta:
        verbose_name = _("wristband")
        verbose_name_plural = _("wristbands")
        ordering = ["serial"]
        indexes = [models.Index(fields=["neighbourhood", "status"]), models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return self.serial


class Binding(BaseModel):
    """A wristband worn by the person of one observation case, with their home and geofence."""

    class BindingStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    Status = BindingStatus

    class EndReason(models.TextChoices):
        UNBOUND = "unbound", _("Taken off at the end")
        REPLACED = "replaced", _("Replaced by another wristband")
        CASE_CLOSED = "case_closed", _("Case closed")
        FAULTY = "faulty", _("Faulty")

    wristband = models.ForeignKey(Wristband, on_delete=models.PROTECT, related_name="bindings")
    # A case purged at the end of its retention takes its bindings with it (the telemetry stays until
    # its own, shorter, retention).
    case = models.ForeignKey(ObservationCase, on_delete=models.CASCADE, related_name="wristband_bindings")
    # Denormalised from the case for scoped reads.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="wristband_bindings")
    home_lat = models.DecimalField(
        _("home latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    home_lon = models.DecimalField(
        _("home longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    radius_m = models.PositiveSmallIntegerField(
        _("geofence radius (m)"), default=50, validators=[MinValueValidator(10), MaxValueValidator(1000)]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    bound_at = models.DateTimeField(_("bound at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=12, choices=EndReason.choices, blank=True)
    # Deadline for the worker's silence loop: no message by then means the wristband went silent.
    # Null once the silence alert was raised (re-armed by the next message) or the binding ended.
    silent_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("wristband binding")
        verbose_name_plural = _("wristband bindings")
        ordering = ["-bound_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["wristband"],
                condition=models.Q(status="active"),
                name="one_active_binding_per_wristband",
                violation_error_message=_("This wristband is already bound."),
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="active"),
                name="one_active_binding_per_case",
                violation_error_message=_("This case already has a wristband."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["silent_after"],
                condition=models.Q(silent_after__isnull=False),
                name="binding_silent_due_idx",
            ),
            models.Index(fields=["compound", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.wristband_id} → {self.case_id}"


class Telemetry(models.Model):
    """One reading. A duplicate (same device, seq and timestamp: a redelivery) is stored once.

    The timestamp is part of the key because PostgreSQL requires the partition column in every
    unique key; a device resends the very same reading, so a redelivery carries the same one.
    """

    id = models.BigAutoField(primary_key=True)
    # No database foreign keys or extra indexes on the hot insert path (the unique key starts with
    # the device); wristbands and cases are never deleted.
    device = models.ForeignKey(
        Wristband, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    case = models.ForeignKey(
        ObservationCase,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    seq = models.BigIntegerField()
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField()
    lat = models.FloatField(null=True)
    lon = models.FloatField(null=True)
    accuracy_m = models.FloatField(null=True)
    temp_c = models.FloatField(null=True)
    heart_rate = models.SmallIntegerField(null=True)
    worn = models.BooleanField()
    battery_pct = models.SmallIntegerField(null=True)

    class Meta:
        verbose_name = _("wristband reading")
        verbose_name_plural = _("wristband readings")
        constraints = [
            models.UniqueConstraint(fields=["device", "seq", "recorded_at"], name="telemetry_once_per_seq")
        ]

    def __str__(self) -> str:
        return f"{self.device_id}#{self.seq}"
