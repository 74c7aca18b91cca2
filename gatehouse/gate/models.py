"""Gate events (every check at a gate) and gate duty (who stands at which gate, from when)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.people.models import Resident, Vehicle
from gatehouse.places.models import Compound, Gate


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class GateEvent(models.Model):
    """One check at a gate. Append-only; purged after the district's retention period.

    Keeps the least: a normal temperature is stored as "normal"; the reading itself only when it is
    at or above the fever line or had to be measured again. Never an identity number or a token.
    """

    class Decision(models.TextChoices):
        LET_IN = "let_in", _("Let through")
        REFUSE = "refuse", _("Refuse")
        REGISTER = "register", _("Register first")
        ESCALATE = "escalate", _("Fever: escalate now")
        REMEASURE = "remeasure", _("Measure again")

    class Temperature(models.TextChoices):
        NOT_TAKEN = "not_taken", _("Not taken")
        NORMAL = "normal", _("Normal")
        FEVER = "fever", _("Fever")
        IMPLAUSIBLE = "implausible", _("Measure again")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every check writes this row, each of its indexes and, for each foreign-key constraint, a row
    # lock on the parent (the same gate, compound and staff member for every check at that gate):
    # so no single-column index where a composite one below leads with the column, none for LIKE,
    # and no database-level constraints on the keys (db_constraint=False). The ORM still deletes
    # and nulls events with their parents (on_delete runs in Django), and the gate and subject come
    # from rows the check has just read; an event outliving its gate by a race is purged with the rest.
    # Measured: -0.2 ms of PostgreSQL CPU per check (docs/benchmarks.md, "The gate").
    gate = models.ForeignKey(
        Gate, on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False
    )
    # Denormalised from the gate: the "today" counts and scoped reads filter on it.
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="gate_events", db_index=False, db_constraint=False
    )
    at = models.DateTimeField(_("recorded at"))
    observed_at = models.DateTimeField(_("checked at"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    subject_kind = models.CharField(_("who"), max_length=16)
    subject_resident = models.ForeignKey(
        Resident,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gate_events",
        db_index=False,
        db_constraint=False,
    )
    subject_vehicle = models.ForeignKey(
        Vehicle,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gate_events",
        db_index=False,
        db_constraint=False,
    )
    subject_label = models.CharField(_("name or plate"), max_length=20, blank=True)
    colour = models.CharField(_("colour"), max_length=6, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    temperature = models.CharField(_("temperature"), max_length=12, choices=Temperature.choices)
    temperature_c = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    temperature_raw = models.CharField(max_length=16, blank=True)
    returnee_declared = models.BooleanField(default=False)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    staff_label = models.CharField(_("staff on duty"), max_length=150, blank=True)
    device = models.CharField(_("device"), max_length=80, blank=True)
    client_id = models.CharField(max_length=64)
    provisional = models.BooleanField(_("taken offline"), default=False)
    offline_decision = models.CharField(max_length=10, blank=True)
    overturned = models.BooleanField(_("offline decision overturned"), default=False)
    # The nonce of an accepted rotating token: a second acceptance of the same code is impossible,
    # even when two offline gates sync long after the pass app forgot the nonce.
    nonce = models.CharField(max_length=16, null=True, blank=True)

    class Meta:
        verbose_name = _("gate event")
        verbose_name_plural = _("gate events")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "client_id"], name="gate_event_client_id_unique"),
            # Partial: only a scan of a rotating pass has a nonce; other checks skip this index.
            models.UniqueConstraint(
                fields=["nonce"], condition=models.Q(nonce__isnull=False), name="gate_event_nonce_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["gate", "-at"]),
            models.Index(fields=["compound", "-at"]),
            models.Index(
                fields=["subject_resident", "-at"],
                condition=models.Q(subject_resident__isnull=False),
                name="gate_event_resident_idx",
            ),
            # For deleting a vehicle (its events' key is nulled): only plate checks have one.
            models.Index(
                fields=["subject_vehicle"],
                condition=models.Q(subject_vehicle__isnull=False),
                name="gate_event_vehicle_idx",
            ),
            models.Index(fields=["at"], name="gate_event_retention_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.direction} {self.decision}"


class GateDuty(BaseModel):
    """Someone standing at a gate: from check-in (or opening the gate screen) to the end of the shift."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="duties")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gate_duties")
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("gate duty")
        verbose_name_plural = _("gate duties")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "user"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_duty_per_person_and_gate",
                violation_error_message=_("This person is already on duty at this gate."),
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="duty_ends_after_start",
                violation_error_message=_("A duty must not end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["gate", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.gate_id}"
