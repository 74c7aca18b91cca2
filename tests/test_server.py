"""The production web server (gatehouse.lib.server, used by `make demo` and the gate benchmark)
starts and serves the application."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

from gatehouse.lib.server import web_server_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_production_server_serves_the_api(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatehouse.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    server = subprocess.Popen(
        web_server_command("gatehouse.wsgi:application", host="127.0.0.1", port=port, workers=1),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = b""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5) as r:
                    assert r.status == 200
                    body = r.read()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        assert b'"/api/gate/checks"' in body
    finally:
        server.terminate()
        server.wait(timeout=15)
