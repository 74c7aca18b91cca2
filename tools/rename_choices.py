"""Give nested Choices classes globally unique names, keeping the old attribute as an alias.

Usage: python tools/rename_choices.py FILE Owner.Old=NewName [...]
The OpenAPI names enums after their class, so two nested `Status` classes would collide there.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def rename(path: str, owner: str, old: str, new: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    owner_at = text.index(f"\nclass {owner}(")
    block = re.compile(
        rf"(    class ){old}(\(models\.(?:TextChoices|IntegerChoices)\):\n(?:        .*\n|\n(?=        ))+)"
    )
    match = block.search(text, owner_at)
    if match is None:
        raise SystemExit(f"{owner}.{old} not found in {path}")
    replacement = (
        match.group(0).replace(f"class {old}(", f"class {new}(", 1).rstrip("\n") + f"\n\n    {old} = {new}\n"
    )
    text = text[: match.start()] + replacement + text[match.end() :]
    Path(path).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    for spec in sys.argv[2:]:
        dotted, new_name = spec.split("=")
        owner_name, old_name = dotted.split(".")
        rename(sys.argv[1], owner_name, old_name, new_name)
