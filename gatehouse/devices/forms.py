from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RegisterForm(forms.Form):
    serial = forms.CharField(label=_("Serial"), max_length=32)
    model = forms.CharField(label=_("Model"), max_length=40)
    firmware = forms.CharField(label=_("Firmware"), max_length=40, required=False)


class BindForm(forms.Form):
    case = forms.ChoiceField(label=_("Person under home observation"))
    home_lat = forms.DecimalField(
        label=_("Home latitude"), max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    home_lon = forms.DecimalField(
        label=_("Home longitude"), max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    radius_m = forms.IntegerField(label=_("Geofence radius (m)"), min_value=10, max_value=1000, initial=50)

    def __init__(self, *args: object, cases: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["case"].choices = cases  # type: ignore[attr-defined]


class ReplaceForm(forms.Form):
    replacement = forms.ChoiceField(label=_("Replacement wristband"))
    retire_old = forms.BooleanField(label=_("The old one is faulty: retire it"), required=False)

    def __init__(self, *args: object, bands: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["replacement"].choices = bands  # type: ignore[attr-defined]
