"""`gatehouse COMMAND` — the management commands under the product's name, as the docs spell them:
`gatehouse seed --scale demo`, `gatehouse ingest`, `gatehouse simulate-wristbands --devices 50`.
Hyphens in the command name become underscores (Django's command modules cannot contain them)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "gatehouse"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatehouse.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
