"""Helpers for tests against a real Mosquitto: the machine's broker, or one of our own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from conftest import need_service
from gatehouse.devices.mqtt import BrokerUrl, broker_url

CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "mosquitto" / "gatehouse.conf"


def shared_broker() -> BrokerUrl:
    url = os.environ.get("MQTT_URL") or "mqtt://127.0.0.1:1883"
    broker = broker_url(url)
    try:
        socket.create_connection((broker.host, broker.port), timeout=1).close()
    except OSError:
        need_service(f"needs an MQTT broker at {broker.host}:{broker.port} (set MQTT_URL)")
    return broker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnBroker:
    """A Mosquitto of our own, on a free port, with the shipped configuration's queue and
    persistence settings (listener, files and authentication replaced for the test)."""

    def __init__(self, *, extra: tuple[str, ...] = ("allow_anonymous true",)) -> None:
        if shutil.which("mosquitto") is None:
            need_service("needs the mosquitto binary")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gh-mosquitto-"))
        kept = [
            line
            for line in CONFIG.read_text().splitlines()
            if not line.startswith(
                (
                    "listener",
                    "password_file",
                    "acl_file",
                    "persistence_location",
                    "allow_anonymous",
                    "log_dest",
                )
            )
        ]
        kept += [
            f"listener {self.port} 127.0.0.1",
            f"persistence_location {self.dir}/",
            f"log_dest file {self.dir}/mosquitto.log",
            *extra,
        ]
        if os.geteuid() == 0:
            kept.append("user root")  # else it drops to `mosquitto`, which cannot use our temp dir
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text("\n".join(kept) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def broker(self) -> BrokerUrl:
        return broker_url(self.url)

    def start(self) -> None:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("our mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # a clean stop writes the persistence file
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def publisher(broker: BrokerUrl, *, persistent: bool = False) -> paho.Client:
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"test-pub-{uuid.uuid4().hex[:12]}",
        clean_session=not persistent,
        protocol=paho.MQTTv311,
    )
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.connect(broker.host, broker.port, keepalive=10)
    client.loop_start()
    return client


def wait_for(predicate: Any, *, timeout: float, step: Any = None, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {message}")
        if step is not None:
            step()
        else:
            time.sleep(0.05)
