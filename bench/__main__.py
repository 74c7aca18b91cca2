"""`make bench`: run every bench/bench_*.py in turn. Each prints `bench: NAME VALUE UNIT [ratio=R vs X]`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    only = sys.argv[1:]
    failed = 0
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name.removeprefix("bench_") not in only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        try:
            module.main()
        except Exception as exc:  # one broken bench must not hide the others' figures
            print(f"bench: {info.name} FAILED {exc!r}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
