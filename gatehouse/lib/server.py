"""The production web server's command line, shared by `make demo` and the gate benchmark.

Granian (a Rust HTTP server running the WSGI application) with one Python thread per worker process
and a process per core plus one. Measured on two cores against gunicorn's gthread workers with the
same application (docs/benchmarks.md, "The gate"): more checks per second and a third of the p99,
because the HTTP work is done outside Python and no two Python threads of one process fight over
the interpreter lock. One thread per process also means a worker busy with a long request (a
printed card sheet, an export) holds only its own connections; the other processes keep serving.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def web_server_workers() -> int:
    """A process per core plus one, so a process waiting on PostgreSQL leaves no core idle."""
    configured = os.environ.get("GATEHOUSE_WEB_WORKERS", "").strip()
    return int(configured) if configured else (os.cpu_count() or 2) + 1


def web_server_command(
    application: str, *, host: str, port: int, workers: int | None = None, access_log: bool = False
) -> list[str]:
    granian = Path(sys.executable).with_name("granian")
    return [
        str(granian),
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers or web_server_workers()),
        "--blocking-threads",
        "1",
        "--backlog",
        "2048",
        "--no-ws",
        "--workers-kill-timeout",
        "10",
        "--respawn-failed-workers",
        "--log-level",
        "warning",
        "--access-log" if access_log else "--no-access-log",
        application,
    ]
