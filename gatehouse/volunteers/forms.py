"""Forms: parse and show errors; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gatehouse.places.models import Compound, Neighbourhood
from gatehouse.volunteers.models import Availability, Organisation, PatrolRoute, Skill, Volunteer


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    neighbourhood: forms.ModelChoiceField[Neighbourhood] = forms.ModelChoiceField(
        label=_("Neighbourhood"), queryset=Neighbourhood.objects.none()
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Volunteer.Kind.choices)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    skills = forms.MultipleChoiceField(
        label=_("Skills"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    max_hours_week = forms.IntegerField(
        label=_("Most hours a week"),
        initial=16,
        help_text=_("One shift is 4 hours; between 4 and 60."),
    )
    trained_on = forms.DateField(
        label=_("Training done on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Volunteers are rostered once trained."),
    )

    def __init__(self, *args: Any, neighbourhoods: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class WindowForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Availability.Weekday.choices, coerce=int)
    starts_at = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends_at = forms.TimeField(
        label=_("Until"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Earlier than the start means the next morning."),
    )


class DateOffForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class AccountForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)


class StaffingForm(forms.Form):
    staff_day = forms.IntegerField(label=_("By day"), min_value=0, max_value=20, required=False)
    staff_night = forms.IntegerField(label=_("By night"), min_value=0, max_value=20, required=False)
    note = forms.CharField(label=_("Why"), max_length=200, required=False)


class RouteForm(forms.Form):
    compound: forms.ModelChoiceField[Compound] = forms.ModelChoiceField(
        label=_("Compound"), queryset=Compound.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    every_hours = forms.TypedChoiceField(
        label=_("How often"), choices=PatrolRoute.Every.choices, coerce=int, initial=4
    )
    at_night = forms.BooleanField(label=_("Also at night"), required=False)
    round_minutes = forms.IntegerField(
        label=_("Minutes to walk a round"), initial=60, min_value=10, max_value=240
    )
    checkpoints = forms.CharField(
        label=_("Check-points"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One per line, in walking order."),
    )

    def __init__(self, *args: Any, compounds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds  # type: ignore[attr-defined]


class CheckpointForm(forms.Form):
    name = forms.CharField(label=_("Check-point"), max_length=60)


class CheckInForm(forms.Form):
    temperature = forms.DecimalField(
        label=_("Your temperature (°C)"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "placeholder": "36.5"}),
    )


class AssignForm(forms.Form):
    volunteer: forms.ModelChoiceField[Volunteer] = forms.ModelChoiceField(
        label=_("Volunteer"), queryset=Volunteer.objects.none()
    )

    def __init__(self, *args: Any, volunteers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers  # type: ignore[attr-defined]
