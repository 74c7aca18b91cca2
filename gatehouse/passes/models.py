"""Passes: every resident's right to pass a gate, shown as a rotating QR code or a printed card."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.people.models import Resident


class RevocationReason(models.TextChoices):
    MOVED_OUT = "moved_out", _("Moved out")
    LOST = "lost", _("Lost")
    DECEASED = "deceased", _("Deceased")
    REISSUED = "reissued", _("Replaced by a new one")
    OTHER = "other", _("Other")


class Pass(BaseModel):
    """A resident's pass. Revoking it stops every token and card of it at once."""

    class PassStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    Status = PassStatus

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="passes")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=12, choices=RevocationReason.choices, blank=True)

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=models.Q(status="active"), name="one_active_pass_per_resident"
            )
        ]

    def __str__(self) -> str:
        return f"pass {self.id} ({self.status})"


class Card(BaseModel):
    """A printed card for someone without a phone: a static serial and a version; a reprint revokes it."""

    class CardStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    Status = CardStatus

    pass_record = models.ForeignKey(Pass, on_delete=models.CASCADE, related_name="cards")
    serial = models.CharField(_("serial"), max_length=20, unique=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=12, choices=RevocationReason.choices, blank=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")

    def __str__(self) -> str:
        return f"{self.serial} v{self.version}"


class SeenNonce(models.Model):
    """Nonces of rotating tokens already used: a second use is a replay. Purged after a few minutes."""

    nonce = models.CharField(max_length=16, unique=True)
    seen_at = models.DateTimeField(db_index=True)
    gate_id = models.UUIDField(null=True)

    def __str__(self) -> str:
        return self.nonce
