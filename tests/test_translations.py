"""Chinese is the default language of every screen: every string has a zh_Hans translation, compiled."""

import glob
from pathlib import Path

import polib
import pytest

PO_FILES = sorted(
    glob.glob(
        str(Path(__file__).resolve().parent.parent / "gatehouse/*/locale/zh_Hans/LC_MESSAGES/django.po")
    )
)


def test_there_are_catalogues():
    assert len(PO_FILES) >= 5


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: Path(p).parts[-5])
def test_every_string_is_translated_and_compiled(path, tmp_path):
    po = polib.pofile(path)
    untranslated = [e.msgid for e in po if not (e.msgstr or e.msgstr_plural.get(0)) or "fuzzy" in e.flags]
    assert untranslated == [], "run `make messages TABLE=…` or edit the .po"
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))
    assert fresh.read_bytes() == Path(path[:-3] + ".mo").read_bytes(), "the .mo is stale: run `make messages`"
