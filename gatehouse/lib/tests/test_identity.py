import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from gatehouse.lib.identity import (
    identity_number_mask,
    identity_number_normalise,
    identity_number_synthetic,
)

VALID = "11010519491231002X"  # GB 11643-1999's own example


def codes(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e.code for e in exc.value.error_list if e.code}


def test_it_accepts_the_standards_example_and_normalises_case_and_spaces():
    assert identity_number_normalise(" 110105 19491231 002x ") == VALID


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "checksum"),  # last character wrong
        ("110105194902300021", "checksum"),
        ("11010519491231002", "length"),
        ("1101051949123100211", "length"),
        ("11010519491231A02X", "format"),
        ("", "required"),
    ],
)
def test_it_refuses_malformed_numbers_with_the_reason(number, code):
    with pytest.raises(ValidationError) as exc:
        identity_number_normalise(number)
    assert code in codes(exc)


def test_it_refuses_an_impossible_birth_date_even_with_a_matching_check_character():
    body = "11010519490230002"  # 30 February
    from stdnum.cn import ric

    with pytest.raises(ValidationError) as exc:
        identity_number_normalise(body + ric.calc_check_digit(body + "0"))
    assert codes(exc) == {"birth_date"}


def test_it_refuses_an_unknown_region():
    body = "99999919800101001"
    from stdnum.cn import ric

    with pytest.raises(ValidationError) as exc:
        identity_number_normalise(body + ric.calc_check_digit(body + "0"))
    assert codes(exc) == {"region"}


def test_it_refuses_a_birth_date_in_the_future():
    from stdnum.cn import ric

    future = dt.date.today() + dt.timedelta(days=400)
    body = f"310101{future:%Y%m%d}001"
    with pytest.raises(ValidationError) as exc:
        identity_number_normalise(body + ric.calc_check_digit(body + "0"))
    assert "birth_date" in codes(exc)


def test_error_messages_never_repeat_the_number():
    for bad in ["110105194912310021", "11010519490230002X", "999999198001010010"]:
        with pytest.raises(ValidationError) as exc:
            identity_number_normalise(bad)
        assert all(bad[6:14] not in str(m) for m in exc.value.messages)


def test_it_masks_birth_date_and_keeps_region_and_last_four():
    assert identity_number_mask(VALID) == "110105********002X"


@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31)),
    male=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_synthetic_numbers_validate_and_carry_birth_date_and_sex(birth, male, seed):
    number = identity_number_synthetic(random.Random(seed), region="310101", birth_date=birth, male=male)
    assert identity_number_normalise(number) == number
    assert number[6:14] == f"{birth:%Y%m%d}"
    assert (int(number[16]) % 2 == 1) == male


@given(position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_change_is_caught(position, delta):
    digits = list(VALID)
    digits[position] = str((int(digits[position]) + delta) % 10)
    with pytest.raises(ValidationError):
        identity_number_normalise("".join(digits))
