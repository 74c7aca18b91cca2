"""Forms of the neighbourhood worker's pass page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gatehouse.passes.models import RevocationReason
from gatehouse.passes.services import WORKER_REASONS
from gatehouse.people.models import Resident


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why"), choices=[(r.value, r.label) for r in WORKER_REASONS], initial=RevocationReason.LOST
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class CardsForm(forms.Form):
    members = forms.ModelMultipleChoiceField(queryset=Resident.objects.none())

    def __init__(self, *args: Any, members: QuerySet[Resident], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = members
