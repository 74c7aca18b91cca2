import io
import logging

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from gatehouse.lib import crypto
from gatehouse.lib.logging import RedactIdentityNumbers, redact
from gatehouse.lib.spreadsheet import cell_safe, csv_bytes, xlsx_bytes


def test_it_round_trips_and_never_stores_plaintext():
    blob = crypto.encrypt_text("11010519491231002X", context="resident.id_number")
    assert b"11010519491231002X" not in blob
    assert crypto.decrypt_text(blob, context="resident.id_number") == "11010519491231002X"


def test_two_encryptions_differ_but_lookup_hashes_match():
    a = crypto.encrypt_text("x", context="c")
    b = crypto.encrypt_text("x", context="c")
    assert a != b
    assert crypto.lookup_hash("x", context="c") == crypto.lookup_hash("x", context="c")
    assert crypto.lookup_hash("x", context="c") != crypto.lookup_hash("x", context="d")


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    blob = crypto.encrypt_text("secret", context="resident.id_number")
    with pytest.raises(InvalidTag):
        crypto.decrypt_text(blob, context="other.column")


@given(st.text(max_size=30))
def test_exported_cells_never_start_a_formula(text):
    safe = cell_safe(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe.endswith(text)


def test_xlsx_export_stores_formula_text_as_text():
    data = xlsx_bytes("t", ["name"], [['=HYPERLINK("http://evil","x")'], ["@SUM(A1)"], ["王芳"]])
    sheet = load_workbook(io.BytesIO(data)).active
    values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert values == ['\'=HYPERLINK("http://evil","x")', "'@SUM(A1)", "王芳"]
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))


def test_csv_export_is_utf8_with_bom_and_defused():
    text = csv_bytes(["name"], [["-2+3"], ["王芳"]]).decode("utf-8")
    assert text.startswith("\ufeff")
    assert "'-2+3" in text
    assert "王芳" in text


def test_log_filter_masks_identity_numbers(caplog):
    logger = logging.getLogger("gatehouse.test.redact")
    logger.addFilter(RedactIdentityNumbers())
    with caplog.at_level(logging.INFO, logger="gatehouse.test.redact"):
        logger.info("lookup %s failed", "11010519491231002X")
    assert "11010519491231002X" not in caplog.text
    assert "110105********002X" in caplog.text
    assert redact("tel 13812345678") == "tel 13812345678"
