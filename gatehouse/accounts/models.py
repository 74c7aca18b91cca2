"""Users bound to a role and a place, and revocable API tokens for devices and integrations."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.core.roles import Role, Scope
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, District, Gate, Neighbourhood, Street

# The place each role is bound to; exactly that one is set.
ROLE_PLACE = {
    Role.DISTRICT_COMMAND: "district",
    Role.STREET_OFFICER: "street",
    Role.NEIGHBOURHOOD_WORKER: "neighbourhood",
    Role.GATE_STAFF: "gate",
    Role.BUILDING_MANAGER: "compound",
    Role.MEAL_CENTRE_OPERATOR: "street",
    Role.COURIER: "street",
    Role.ORGANISATION_COORDINATOR: "street",
    Role.RESIDENT: "resident",
    Role.VOLUNTEER: "street",
}
PLACE_FIELDS = ("district", "street", "neighbourhood", "compound", "gate", "resident")


class User(AbstractUser):
    """A person who signs in, with one role over one place."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    neighbourhood = models.ForeignKey(
        Neighbourhood, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resident = models.OneToOneField(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="account"
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        if not self.role:
            return
        wanted = ROLE_PLACE[Role(self.role)]
        errors = {}
        if getattr(self, f"{wanted}_id") is None:
            errors[wanted] = _("A %(role)s must be bound to a %(place)s.") % {
                "role": Role(self.role).label,
                "place": wanted,
            }
        for other in PLACE_FIELDS:
            if other != wanted and getattr(self, f"{other}_id") is not None:
                errors[other] = _("This role is bound to a %(place)s only.") % {"place": wanted}
        if errors:
            raise ValidationError(errors)

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @property
    def scope(self) -> Scope:
        """The jurisdiction this user acts in. Superusers without a role reach nothing personal."""
        if not self.is_active or not self.role:
            return Scope(role="none", user_id=self.pk)
        return Scope.for_role(
            self.role,
            user_id=self.pk,
            district_id=self.district_id,
            street_id=self.street_id,
            neighbourhood_id=self.neighbourhood_id,
            compound_id=self.compound_id,
            gate_id=self.gate_id,
            resident_id=self.resident_id,
        )


class ApiToken(models.Model):
    """A bearer token for a device or integration, acting as its user. Only a hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SignInCode(BaseModel):
    """A one-time code texted to a phone to sign a resident in. Neither the code nor the number is
    kept in the clear: a keyed hash of each (the hash to count requests per number), and the number
    encrypted so the residents behind it can be found once the code proves the phone. Purged after a day.
    """

    phone_hash = models.CharField(max_length=64)
    phone_ciphertext = models.BinaryField()
    code_hash = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True)
    used_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        # The throttles count recent requests per number and per address.
        indexes = [
            models.Index(fields=["phone_hash", "created_at"]),
            models.Index(fields=["ip_address", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"sign-in code {self.id}"
