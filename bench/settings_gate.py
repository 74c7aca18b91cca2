"""The production settings plus one bare view (bench/urls_gate.py) for the gate benchmark's baseline."""

from gatehouse.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_gate"
