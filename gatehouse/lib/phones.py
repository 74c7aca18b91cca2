"""Phone numbers: mainland mobiles and landlines, stored in E.164-free national form."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def phone_normalise(value: str) -> str:
    """11-digit mobile (13812345678) or area code + number (02163211234)."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="required")
    if len(raw) > 32:
        raise ValidationError(_("A phone number has at most 32 characters."), code="length")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("This is not a phone number."), code="phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("Not a valid Chinese phone number: a mobile has 11 digits starting with 1."), code="phone"
        )
    if parsed.country_code != 86:
        raise ValidationError(_("Only mainland China numbers are accepted."), code="phone")
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def phone_mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
