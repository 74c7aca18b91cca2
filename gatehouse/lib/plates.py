"""Chinese vehicle plates (GA 36): ordinary, new-energy, and the special series."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never used
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_LETTERS}][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳领]$")
# New energy: small cars D/F then 5 (first may be a letter), large vehicles 5 digits then D/F.
_NEW_ENERGY = re.compile(rf"^[{PROVINCES}][{_LETTERS}](?:[DF][A-HJ-NP-Z0-9][0-9]{{4}}|[0-9]{{5}}[DF])$")
_EMBASSY = re.compile(r"^(?:使[0-9]{6}|[0-9]{6}使)$")


def plate_normalise(value: str) -> str:
    plate = re.sub(r"[\s·.\-]", "", (value or "")).upper()
    if not plate:
        raise ValidationError(_("Enter a plate number."), code="required")
    if _ORDINARY.match(plate) or _NEW_ENERGY.match(plate) or _EMBASSY.match(plate):
        return plate
    raise ValidationError(
        _(
            "Not a Chinese plate: a province character, a letter, then 5 letters or digits "
            "(6 for a new-energy plate), e.g. 沪A12345 or 沪AD12345."
        ),
        code="plate",
    )


def plate_is_new_energy(plate: str) -> bool:
    return bool(_NEW_ENERGY.match(plate))
