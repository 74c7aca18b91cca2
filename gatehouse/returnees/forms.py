"""The returnee questions (必询问) as a form, shared by the resident's, the worker's and the gate's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gatehouse.returnees.models import KeyArea, ReturneeSymptom, Transport
from gatehouse.returnees.services import ReturneeAnswers

VISIT_ROWS = 3


class ReturneeForm(forms.Form):
    origin_province = forms.CharField(label=_("From province"), max_length=20)
    origin_city = forms.CharField(label=_("From city"), max_length=40)
    departed_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))
    arrived_on = forms.DateField(label=_("Arrive(d) on"), widget=forms.DateInput(attrs={"type": "date"}))
    transport = forms.ChoiceField(label=_("Transport"), choices=Transport.choices)
    transport_number = forms.CharField(
        label=_("Train, flight or plate number"), max_length=20, required=False
    )
    contact_confirmed = forms.BooleanField(
        label=_("Contact with a confirmed case in the last 14 days"), required=False
    )
    contact_suspected = forms.BooleanField(
        label=_("Contact with a suspected case in the last 14 days"), required=False
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms now"),
        choices=ReturneeSymptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"),
        max_digits=3,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, VISIT_ROWS + 1):
            self.fields[f"visit{i}_province"] = forms.CharField(
                label=_("Other place %(n)s: province") % {"n": i}, max_length=20, required=False
            )
            self.fields[f"visit{i}_city"] = forms.CharField(label=_("city"), max_length=40, required=False)
            self.fields[f"visit{i}_kind"] = forms.ChoiceField(
                label=_("stayed or passed through"),
                choices=[("stay", _("Stayed")), ("transit", _("Passed through"))],
                required=False,
            )
            self.fields[f"visit{i}_from"] = forms.DateField(
                label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"visit{i}_to"] = forms.DateField(
                label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def answers(self) -> ReturneeAnswers:
        data = self.cleaned_data
        visits = []
        for i in range(1, VISIT_ROWS + 1):
            if data.get(f"visit{i}_province"):
                visits.append(
                    {
                        "province": data[f"visit{i}_province"],
                        "city": data.get(f"visit{i}_city", ""),
                        "kind": data.get(f"visit{i}_kind") or "stay",
                        "from_date": data.get(f"visit{i}_from"),
                        "to_date": data.get(f"visit{i}_to"),
                    }
                )
        return ReturneeAnswers(
            origin_province=data["origin_province"],
            origin_city=data["origin_city"],
            departed_on=data["departed_on"],
            arrived_on=data["arrived_on"],
            transport=data["transport"],
            transport_number=data.get("transport_number", ""),
            visits=visits,
            contact_confirmed=data.get("contact_confirmed", False),
            contact_suspected=data.get("contact_suspected", False),
            symptoms=list(data.get("symptoms") or []),
            temperature=data.get("temperature"),
        )


class KeyAreaForm(forms.ModelForm[KeyArea]):
    class Meta:
        model = KeyArea
        fields = ["province", "city", "starts_on", "ends_on", "note"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }
