"""Volunteers, what the gates and patrol routes need, the roster that covers it, and the shifts
worked: check-ins with the volunteer's own temperature and patrol check-point scans."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import BaseModel
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, Gate, Neighbourhood, Street


class Organisation(BaseModel):
    """A social organisation, enterprise or unit whose members volunteer in the street."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="volunteer_organisations")
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "name"],
                name="organisation_name_unique_in_street",
                violation_error_message=_("This street already has an organisation with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Skill(models.TextChoices):
    TEMPERATURE = "temperature", _("Temperature checks")
    REGISTRATION = "registration", _("Registering returnees")
    FIRST_AID = "first_aid", _("First aid")
    DIALECT = "dialect", _("Speaks Shanghainese")
    DRIVING = "driving", _("Driving")
    PATROL = "patrol", _("Patrols")


class Volunteer(BaseModel):
    """A person who takes turns at the gates and on patrol (志愿者)."""

    class Kind(models.TextChoices):
        PARTY_MEMBER = "party_member", _("Party member")
        RESIDENT = "resident", _("Resident")
        OFFICE_WORKER = "office_worker", _("Office worker")
        ORGANISATION_MEMBER = "organisation_member", _("Organisation member")

    class VolunteerStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        REMOVED = "removed", _("Removed")

    Status = VolunteerStatus

    # Home: rosters keep people near it; scoped reads go through the neighbourhood.
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="volunteers")
    home_compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resident = models.OneToOneField(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteer"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteer"
    )
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESIDENT)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="volunteers"
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    max_hours_week = models.PositiveSmallIntegerField(
        _("most hours a week"), default=16, validators=[MinValueValidator(4), MaxValueValidator(60)]
    )
    trained_on = models.DateField(_("training done on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The volunteer's own health: a fever declared (or measured at check-in) keeps them off the
    # roster until an officer clears it.
    fever_at = models.DateTimeField(_("fever declared at"), null=True, blank=True)
    fever_temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_hours_week__gte=4) & models.Q(max_hours_week__lte=60),
                name="volunteer_hours_between_4_and_60",
                violation_error_message=_("Give between 4 and 60 hours a week."),
            )
        ]
        indexes = [models.Index(fields=["neighbourhood", "status"])]

    def __str__(self) -> str:
        return self.name


class Availability(BaseModel):
    """A weekly window a volunteer is free. Ending at or before its start means the next morning."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        ordering = ["weekday", "starts_at"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class DateOff(BaseModel):
    """An exception to the weekly availability: a day the volunteer cannot come."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="dates_off")
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("date off")
        verbose_name_plural = _("dates off")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "date"],
                name="one_date_off_per_day",
                violation_error_message=_("This day is already marked off."),
            )
        ]

    def __str__(self) -> str:
        return str(self.date)


class GateStaffing(BaseModel):
    """A street's own figure for one gate, overriding its class regime (say, property guards cover
    the night). Without one, the gate needs what its regime says."""

    gate = models.OneToOneField(Gate, on_delete=models.CASCADE, related_name="staffing")
    staff_day = models.PositiveSmallIntegerField(
        _("volunteers 06:00–22:00"), validators=[MaxValueValidator(20)]
    )
    staff_night = models.PositiveSmallIntegerField(
        _("volunteers 22:00–06:00"), validators=[MaxValueValidator(20)]
    )
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("gate staffing")
        verbose_name_plural = _("gate staffing")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff_day__lte=20) & models.Q(staff_night__lte=20),
                name="gate_staffing_at_most_20",
                violation_error_message=_("At most 20 people at one gate."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate}: {self.staff_day}/{self.staff_night}"


class PatrolRoute(BaseModel):
    """An ordered walk past check-points in an old lane, relocation plot or unoccupied area."""

    class Every(models.IntegerChoices):
        FOUR = 4, _("every 4 hours")
        EIGHT = 8, _("every 8 hours")
        TWELVE = 12, _("every 12 hours")
        DAILY = 24, _("once a day")

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="patrol_routes")
    name = models.CharField(_("name"), max_length=60)
    every_hours = models.PositiveSmallIntegerField(_("how often"), choices=Every.choices, default=4)
    at_night = models.BooleanField(_("also at night"), default=False)
    round_minutes = models.PositiveSmallIntegerField(
        _("minutes to walk a round"), default=60, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("patrol route")
        verbose_name_plural = _("patrol routes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "name"],
                name="route_name_unique_in_compound",
                violation_error_message=_("This compound already has a route with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} · {self.name}"


class Checkpoint(BaseModel):
    """A point on a route with a printed QR tag the patrolling volunteer scans."""

    route = models.ForeignKey(PatrolRoute, on_delete=models.CASCADE, related_name="checkpoints")
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("check-point")
        verbose_name_plural = _("check-points")
        ordering = ["route", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "position"],
                name="checkpoint_position_unique",
                violation_error_message=_("This route already has a check-point at this position."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class Roster(BaseModel):
    """One street's week (Monday 06:00 to Monday 06:00) and the state of its solver run."""

    class SolveStatus(models.TextChoices):
        NEW = "new", _("Not solved yet")
        REQUESTED = "requested", _("Waiting for the solver")
        SOLVING = "solving", _("Solving")
        DONE = "done", _("Solved")
        FAILED = "failed", _("Failed")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="rosters")
    week_start = models.DateField(_("week of"))
    solve_status = models.CharField(max_length=10, choices=SolveStatus.choices, default=SolveStatus.NEW)
    # The worker claims a requested solve with compare-and-set on solve_status; the partial index
    # keeps finding the waiting ones cheap however many weeks accumulate.
    solve_requested_at = models.DateTimeField(null=True, blank=True)
    solve_requested_by = models.CharField(max_length=150, blank=True)
    solve_started_at = models.DateTimeField(null=True, blank=True)
    solve_finished_at = models.DateTimeField(null=True, blank=True)
    solve_progress = models.JSONField(default=dict, blank=True)
    solve_report = models.JSONField(default=dict, blank=True)
    # Set when something changed under the published plan (a gate sealed, a volunteer removed).
    needs_repair = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "week_start"],
                name="one_roster_per_street_week",
                violation_error_message=_("This street already has a roster for this week."),
            )
        ]
        indexes = [
            models.Index(
                fields=["solve_requested_at"],
                condition=models.Q(solve_status="requested"),
                name="roster_solve_requested_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.street} {self.week_start}"


class Slot(BaseModel):
    """A gate or patrol route needing `needed` people for one 4-hour period of a roster week."""

    class SlotStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    Status = SlotStatus

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="slots")
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.PROTECT, related_name="slots")
    route = models.ForeignKey(
        PatrolRoute, null=True, blank=True, on_delete=models.PROTECT, related_name="slots"
    )
    # Denormalised from the gate or route: every scoped read filters on them.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="+")
    period = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    needed = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    cancel_reason = models.CharField(max_length=40, blank=True)
    # Deadlines for the worker: a gate slot nobody checked into 10 minutes after it starts, a patrol
    # round whose time is up. Cleared (compare-and-set) by whoever handles it first.
    check_due_at = models.DateTimeField(null=True, blank=True)
    round_due_at = models.DateTimeField(null=True, blank=True)
    round_result = models.JSONField(default=dict, blank=True)
    uncovered_reason = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(gate__isnull=False) & models.Q(route__isnull=True))
                | (models.Q(gate__isnull=True) & models.Q(route__isnull=False)),
                name="slot_gate_or_route",
                violation_error_message=_("A slot is at a gate or on a patrol route."),
            ),
            models.UniqueConstraint(
                fields=["roster", "gate", "period"],
                name="one_slot_per_gate_period",
                condition=models.Q(gate__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["roster", "route", "period"],
                name="one_slot_per_route_period",
                condition=models.Q(route__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["check_due_at"],
                condition=models.Q(check_due_at__isnull=False),
                name="slot_check_due_idx",
            ),
            models.Index(
                fields=["round_due_at"],
                condition=models.Q(round_due_at__isnull=False),
                name="slot_round_due_idx",
            ),
            models.Index(fields=["neighbourhood", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.gate or self.route} {self.starts_at:%m-%d %H:%M}"

    @property
    def post(self) -> Gate | PatrolRoute:
        return self.gate if self.gate is not None else self.route  # type: ignore[return-value]


class Assignment(BaseModel):
    """A volunteer on a slot: planned, then checked in and out."""

    class AssignmentSource(models.TextChoices):
        SOLVER = "solver", _("Roster solver")
        MANUAL = "manual", _("Assigned by hand")
        TAKEN = "taken", _("Taken by the volunteer")

    Source = AssignmentSource

    class AssignmentStatus(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RELEASED = "released", _("Released")

    Status = AssignmentStatus

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="assignments")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SOLVER)
    locked = models.BooleanField(_("locked"), default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=40, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    temperature = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("34.0")), MaxValueValidator(Decimal("42.0"))],
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "volunteer"],
                condition=models.Q(status="planned"),
                name="one_planned_assignment_per_slot_volunteer",
                violation_error_message=_("This volunteer is already on this slot."),
            )
        ]
        indexes = [models.Index(fields=["volunteer", "status"])]

    def __str__(self) -> str:
        return f"{self.volunteer} @ {self.slot}"


class CheckpointScan(BaseModel):
    """A patrolling volunteer scanned a check-point's tag."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scans")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="scans")
    scanned_at = models.DateTimeField()
    late = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("check-point scan")
        verbose_name_plural = _("check-point scans")
        ordering = ["scanned_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "checkpoint"], name="one_scan_per_checkpoint_round")
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} {self.scanned_at:%H:%M}"
