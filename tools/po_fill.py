"""Fill empty zh_Hans msgstrs from a translation table and report what is still missing.

Usage: python tools/po_fill.py TABLE.py  (TABLE defines ZH and ZH_PLURAL dicts)
Keeps the .po files the source of truth: existing translations are never overwritten.
"""

from __future__ import annotations

import glob
import runpy
import sys

import polib


def main() -> int:
    table = runpy.run_path(sys.argv[1]) if len(sys.argv) > 1 else {"ZH": {}, "ZH_PLURAL": {}}
    singular, plural = table["ZH"], table["ZH_PLURAL"]
    missing = []
    for path in sorted(glob.glob("gatehouse/*/locale/zh_Hans/LC_MESSAGES/django.po")):
        po = polib.pofile(path)
        po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
        po.metadata["Language"] = "zh_Hans"
        po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
        for entry in po:
            if "fuzzy" in entry.flags:  # makemessages' guess from a similar string: never trust it
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
                entry.msgstr_plural = {0: ""} if entry.msgid_plural else {}
            if entry.msgid_plural:
                if not entry.msgstr_plural.get(0) and entry.msgid in plural:
                    entry.msgstr_plural = {0: plural[entry.msgid]}
                if not entry.msgstr_plural.get(0):
                    missing.append((path, entry.msgid))
            else:
                if not entry.msgstr and entry.msgid in singular:
                    entry.msgstr = singular[entry.msgid]
                if not entry.msgstr:
                    missing.append((path, entry.msgid))
        po.save()
        po.save_as_mofile(path[:-3] + ".mo")
    for path, msgid in missing:
        print(f"missing: {path}: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
