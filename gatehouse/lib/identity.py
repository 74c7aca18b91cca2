"""Chinese resident identity numbers (GB 11643-1999): validation, masking, generation.

Validation is python-stdnum's (length, check character, birth date, region code); on top of it a
birth date in the future is refused. Error messages never repeat the number itself.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric


def identity_number_normalise(value: str) -> str:
    """The canonical 18-character form, or ValidationError saying why (without echoing it)."""
    number = ric.compact(re.sub(r"[\s\-]", "", value or ""))
    if not number:
        raise ValidationError(_("Enter an identity number."), code="required")
    if len(number) != 18:
        raise ValidationError(_("An identity number has 18 characters."), code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("An identity number has 17 digits followed by a digit or X."), code="format")
    try:
        ric.validate(number)
    except stdnum_errors.InvalidChecksum as exc:
        raise ValidationError(
            _("The check character (the last one) does not match: please check each digit."),
            code="checksum",
        ) from exc
    except stdnum_errors.InvalidComponent as exc:
        try:
            ric.get_birth_date(number)
        except stdnum_errors.InvalidComponent:
            raise ValidationError(
                _("The birth date in the identity number (characters 7–14) is not a real date."),
                code="birth_date",
            ) from exc
        raise ValidationError(
            _("The region code (the first 6 digits) is not a known region."), code="region"
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(_("This is not a valid identity number."), code="invalid") from exc
    if ric.get_birth_date(number) > dt.date.today():
        raise ValidationError(_("The birth date in the identity number is in the future."), code="birth_date")
    return number


def identity_number_mask(number: str) -> str:
    """310101********123X: the region and the last four, never the birth date."""
    if len(number) != 18:
        return "*" * len(number)
    return number[:6] + "*" * 8 + number[14:]


def identity_number_birth_date(number: str) -> dt.date:
    birth: dt.date = ric.get_birth_date(number)
    return birth


def identity_number_is_male(number: str) -> bool:
    return int(number[16]) % 2 == 1


def identity_number_synthetic(rng: random.Random, *, region: str, birth_date: dt.date, male: bool) -> str:
    """A synthetic number with a valid check character, for demo data only."""
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
