"""District → street → neighbourhood → compound → gate, and each compound class's gate regime."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel


class District(BaseModel):
    """A city district and the policies its command sets."""

    code = models.CharField(_("division code"), max_length=6, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    fever_line_c = models.DecimalField(
        _("fever line (°C)"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("37.3"),
        validators=[MinValueValidator(Decimal("37.0")), MaxValueValidator(Decimal("38.5"))],
    )
    observation_days = models.PositiveSmallIntegerField(
        _("home observation (days)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    health_monitoring_days = models.PositiveSmallIntegerField(
        _("health monitoring (days)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    gate_event_retention_days = models.PositiveSmallIntegerField(
        _("keep gate events (days)"), default=21, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    telemetry_retention_days = models.PositiveSmallIntegerField(
        _("keep wristband telemetry (days)"),
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    moved_out_retention_days = models.PositiveSmallIntegerField(
        _("keep records of people who left (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    health_record_retention_days = models.PositiveSmallIntegerField(
        _("keep health records after they end (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Closed observation cases with their follow-ups, and returnee registrations."),
    )
    alert_escalation_minutes = models.PositiveSmallIntegerField(
        _("escalate unacknowledged alerts after (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name_zh


class Street(BaseModel):
    """街道."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")
    code = models.CharField(_("division code"), max_length=9, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class Neighbourhood(BaseModel):
    """居民区 / 居委会: the committee that knows every household."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="neighbourhoods")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "name"],
                name="neighbourhood_name_unique_in_street",
                violation_error_message=_("This street already has a neighbourhood with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CompoundClass(models.TextChoices):
    COMMODITY_HOUSING = "commodity_housing", _("Commodity housing with property management")
    NO_PROPERTY_MANAGEMENT = "no_property_management", _("No property management")
    OLD_LANE = "old_lane", _("Old lane")
    RELOCATION_PLOT = "relocation_plot", _("Relocation plot")
    UNOCCUPIED_AREA = "unoccupied_area", _("Unoccupied area or road")
    COMMERCIAL_BUILDING = "commercial_building", _("Commercial building")


class Compound(BaseModel):
    """小区 or 商务楼宇; its class sets the regime of its gates."""

    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="compounds")
    name = models.CharField(_("name"), max_length=80)
    compound_class = models.CharField(_("class"), max_length=30, choices=CompoundClass.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    pickup_point = models.CharField(
        _("delivery pick-up point"),
        max_length=120,
        blank=True,
        help_text=_("Where couriers leave deliveries, since they may not enter."),
    )

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "name"],
                name="compound_name_unique_in_neighbourhood",
                violation_error_message=_("This neighbourhood already has a compound with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Gate(BaseModel):
    """出入口: where the checkpoint stands."""

    # Choices carry globally unique class names: the OpenAPI names its enums after them.
    class GateStatus(models.TextChoices):
        OPEN = "open", _("Open")
        MAIN_PASSAGE_ONLY = "main_passage_only", _("Main passage only")
        SEALED = "sealed", _("Sealed")

    Status = GateStatus

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="gates")
    name = models.CharField(_("name"), max_length=60)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True, help_text=_("Empty: open all day."))
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    has_vehicle_lane = models.BooleanField(_("vehicle lane"), default=False)

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "name"],
                name="gate_name_unique_in_compound",
                violation_error_message=_("This compound already has a gate with this name."),
            ),
            models.CheckConstraint(
                condition=(models.Q(opens_at__isnull=True) & models.Q(closes_at__isnull=True))
                | (models.Q(opens_at__isnull=False) & models.Q(closes_at__isnull=False)),
                name="gate_hours_both_or_neither",
                violation_error_message=_("Give both opening and closing times, or neither for all day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} · {self.name}"

    def clean(self) -> None:
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValidationError(
                {"closes_at": _("Give both opening and closing times, or neither for all day.")}
            )
        if self.opens_at is not None and self.opens_at == self.closes_at:
            raise ValidationError({"closes_at": _("Closing time must differ from opening time.")})


class GateRegime(BaseModel):
    """What a gate of one compound class does: data the district command edits, seeded from the article."""

    class VisitorRule(models.TextChoices):
        REGISTERED_VISIT = "registered_visit", _("Registered visit with a host household")
        REFUSED = "refused", _("Refused")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="regimes")
    compound_class = models.CharField(_("class"), max_length=30, choices=CompoundClass.choices)
    closed_management = models.BooleanField(
        _("closed management"), default=False, help_text=_("Every person and vehicle in and out is checked.")
    )
    seal_sealable_passages = models.BooleanField(_("seal every passage that can be sealed"), default=False)
    question_returnees = models.BooleanField(
        _("returnees: ask, register, measure"), default=True, help_text=_("必询问、必登记、必测温")
    )
    temperature_check = models.BooleanField(_("temperature check for everyone entering"), default=True)
    main_passage_only = models.BooleanField(_("only the main passage stays open"), default=False)
    patrol_required = models.BooleanField(_("patrols required"), default=False)
    no_entry = models.BooleanField(_("no person or vehicle may enter"), default=False)
    building_four_gates = models.BooleanField(
        _("the four gates of a commercial building"),
        default=False,
        help_text=_("Key-person screening, entry detection, blocking shared spaces, emergency handling."),
    )
    visitor_rule = models.CharField(
        _("visitors"), max_length=20, choices=VisitorRule.choices, default=VisitorRule.REGISTERED_VISIT
    )
    registered_vehicles_only = models.BooleanField(_("only the compound's registered vehicles"), default=True)
    staff_day = models.PositiveSmallIntegerField(
        _("people on duty 06:00–22:00"), default=2, validators=[MaxValueValidator(20)]
    )
    staff_night = models.PositiveSmallIntegerField(
        _("people on duty 22:00–06:00"), default=1, validators=[MaxValueValidator(20)]
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("gate regime")
        verbose_name_plural = _("gate regimes")
        ordering = ["compound_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "compound_class"],
                name="one_regime_per_class",
                violation_error_message=_("This class already has a regime in this district."),
            )
        ]

    def __str__(self) -> str:
        return str(self.get_compound_class_display())
