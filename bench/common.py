"""Shared bench plumbing: a scratch PostgreSQL database per bench, and the output line format."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://root@127.0.0.1:5432")


def line(name: str, value: float, unit: str, ratio: float | None = None, baseline: str = "") -> None:
    text = f"bench: {name} {value:.{_digits(value)}f} {unit}"
    if ratio is not None:
        text += f" ratio={ratio:.2f} vs {baseline}"
    print(text, flush=True)


def _digits(value: float) -> int:
    return 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2


def scratch_database(name: str) -> str:
    """Drop and create `name` on the local server; return its DATABASE_URL."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, database_url: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run manage.py with the bench's database and throwaway secrets."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GATEHOUSE_ENV_FILE": os.devnull,
        "GATEHOUSE_SECRET_KEY": os.environ.get("GATEHOUSE_SECRET_KEY", "bench-secret-key-not-for-production"),
        "GATEHOUSE_DATA_KEY": os.environ.get("GATEHOUSE_DATA_KEY", "bench-data-key-not-for-production"),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )
