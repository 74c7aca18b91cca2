"""Forms: parse and show errors; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gatehouse.people.models import Resident, ResidentTag
from gatehouse.places.models import District, Gate, GateRegime


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's field errors on the form fields with those names, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    id_number = forms.CharField(
        label=_("Identity number"),
        max_length=32,
        required=False,
        help_text=_("18 characters. Stored encrypted; shown masked."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Resident.Sex.choices], required=False)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    building = forms.CharField(label=_("Building"), max_length=20)
    room = forms.CharField(label=_("Room"), max_length=20)
    tags = forms.MultipleChoiceField(
        label=_("Circumstances"),
        choices=ResidentTag.Tag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class GateForm(forms.ModelForm[Gate]):
    class Meta:
        model = Gate
        fields = ["name", "status", "opens_at", "closes_at", "has_vehicle_lane"]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}),
            "closes_at": forms.TimeInput(attrs={"type": "time"}),
        }


class RegimeForm(forms.ModelForm[GateRegime]):
    class Meta:
        model = GateRegime
        fields = [
            "closed_management",
            "seal_sealable_passages",
            "question_returnees",
            "temperature_check",
            "main_passage_only",
            "patrol_required",
            "no_entry",
            "building_four_gates",
            "visitor_rule",
            "registered_vehicles_only",
            "staff_day",
            "staff_night",
            "description",
        ]


class PolicyForm(forms.ModelForm[District]):
    class Meta:
        model = District
        fields = [
            "fever_line_c",
            "observation_days",
            "health_monitoring_days",
            "gate_event_retention_days",
            "telemetry_retention_days",
            "moved_out_retention_days",
            "health_record_retention_days",
            "alert_escalation_minutes",
        ]


def changed_values(form: forms.ModelForm[Any]) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data}
