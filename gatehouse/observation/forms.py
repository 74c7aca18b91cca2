"""Forms: parse and show errors; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gatehouse.observation.models import FollowUp, ObservationCase


class ReportForm(forms.Form):
    temperature_c = forms.DecimalField(
        label=_("Temperature (°C)"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "placeholder": "36.5"}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        choices=FollowUp.Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs"), choices=FollowUp.Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FollowUpForm(ReportForm):
    method = forms.ChoiceField(
        label=_("How"),
        choices=[
            (FollowUp.Method.DOORSTEP, FollowUp.Method.DOORSTEP.label),
            (FollowUp.Method.PHONE, FollowUp.Method.PHONE.label),
        ],
        initial=FollowUp.Method.PHONE,
        widget=forms.RadioSelect,
    )
    field_order = ["method", "temperature_c", "symptoms", "needs", "note"]


class CaseOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ObservationCase.Kind.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    days = forms.IntegerField(
        label=_("Days"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("Empty: the district's policy."),
    )


class CaseCloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("How the case ends"),
        choices=[(s.value, s.label) for s in ObservationCase.Status if s != ObservationCase.Status.ACTIVE],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
