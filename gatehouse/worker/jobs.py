"""The deadline jobs the worker runs. Each is a function of `now` returning how many rows it acted on.

A job must be safe to run in two workers at once: it claims rows with a compare-and-set UPDATE (or
deletes idempotently), so a row is acted on once. Add a job by appending to JOBS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime], int]


def _purge_departed_residents(now: dt.datetime) -> int:
    from gatehouse.people.services import residents_purge_departed

    return residents_purge_departed(now=now)


def _purge_seen_nonces(now: dt.datetime) -> int:
    from gatehouse.passes.services import seen_nonces_purge

    return seen_nonces_purge(now=now)


def _wristbands_silent(now: dt.datetime) -> int:
    from gatehouse.devices.services import bindings_silence_check

    return bindings_silence_check(now=now)


def _wristband_bindings_of_closed_cases(now: dt.datetime) -> int:
    from gatehouse.devices.services import bindings_end_for_closed_cases

    return bindings_end_for_closed_cases(now=now)


def _telemetry_partitions(now: dt.datetime) -> int:
    from gatehouse.devices.services import telemetry_partitions_ensure

    return telemetry_partitions_ensure(now=now)


def _telemetry_purge(now: dt.datetime) -> int:
    from gatehouse.devices.services import telemetry_purge

    return telemetry_purge(now=now)


JOBS: list[Job] = [
    Job("purge seen pass nonces", dt.timedelta(seconds=60), _purge_seen_nonces),
    Job("purge departed residents", dt.timedelta(hours=1), _purge_departed_residents),
    Job("silent wristbands", dt.timedelta(seconds=5), _wristbands_silent),
    Job("wristbands of closed cases", dt.timedelta(seconds=60), _wristband_bindings_of_closed_cases),
    Job("telemetry partitions ahead", dt.timedelta(hours=1), _telemetry_partitions),
    Job("purge old telemetry", dt.timedelta(hours=1), _telemetry_purge),
]
