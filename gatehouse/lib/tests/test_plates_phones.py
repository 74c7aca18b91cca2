import pytest
from django.core.exceptions import ValidationError

from gatehouse.lib.phones import phone_mask, phone_normalise
from gatehouse.lib.plates import plate_is_new_energy, plate_normalise


@pytest.mark.parametrize(
    ("raw", "plate", "new_energy"),
    [
        ("沪A12345", "沪A12345", False),
        ("沪a·12345", "沪A12345", False),
        ("京N8Z9K2", "京N8Z9K2", False),
        ("沪AD12345", "沪AD12345", True),  # small new-energy
        ("沪AFA1234", "沪AFA1234", True),
        ("沪A12345D", "沪A12345D", True),  # large new-energy
        ("粤B1234学", "粤B1234学", False),
    ],
)
def test_it_accepts_chinese_plates(raw, plate, new_energy):
    assert plate_normalise(raw) == plate
    assert plate_is_new_energy(plate) is new_energy


@pytest.mark.parametrize(
    "raw", ["", "A12345", "沪12345", "沪AI2345", "沪A1234", "沪A1234567", "XX12345", "沪AO1234"]
)
def test_it_refuses_what_is_not_a_plate(raw):
    with pytest.raises(ValidationError):
        plate_normalise(raw)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"), ("021-63211234", "02163211234")],
)
def test_it_normalises_phones(raw, phone):
    assert phone_normalise(raw) == phone


@pytest.mark.parametrize("raw", ["", "12345", "1381234567", "23812345678", "+1 415 555 0100", "x" * 40])
def test_it_refuses_bad_phones(raw):
    with pytest.raises(ValidationError):
        phone_normalise(raw)


def test_it_masks_phones():
    assert phone_mask("13812345678") == "138****5678"
