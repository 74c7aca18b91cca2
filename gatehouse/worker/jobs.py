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


def _escalate_alerts(now: dt.datetime) -> int:
    from gatehouse.alerts.services import alerts_escalate_due

    return alerts_escalate_due(now=now)


def _deliver_notifications(now: dt.datetime) -> int:
    from gatehouse.alerts.services import notifications_deliver_due

    return notifications_deliver_due(now=now)


def _purge_notifications(now: dt.datetime) -> int:
    from gatehouse.alerts.services import notifications_purge

    return notifications_purge(now=now)


def _raise_overdue_follow_ups(now: dt.datetime) -> int:
    from gatehouse.observation.services import follow_ups_overdue_raise

    return follow_ups_overdue_raise(now=now)


def _gates_uncovered(now: dt.datetime) -> int:
    from gatehouse.volunteers.services import slots_uncovered_alert

    return slots_uncovered_alert(now)


def _patrol_rounds(now: dt.datetime) -> int:
    from gatehouse.volunteers.services import patrol_rounds_check

    return patrol_rounds_check(now)


def _rosters_solve(now: dt.datetime) -> int:
    from gatehouse.volunteers.services import rosters_solve_requested

    return rosters_solve_requested(now)


def _rosters_repair(now: dt.datetime) -> int:
    from gatehouse.volunteers.services import rosters_reconcile

    return rosters_reconcile(now)


def _purge_signin_codes(now: dt.datetime) -> int:
    from gatehouse.accounts.services import signin_codes_purge

    return signin_codes_purge(now=now)


def _purge_gate_events(now: dt.datetime) -> int:
    from gatehouse.gate.services import gate_events_purge

    return gate_events_purge(now=now)


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


def _purge_closed_cases(now: dt.datetime) -> int:
    from gatehouse.observation.services import cases_purge_closed

    return cases_purge_closed(now=now)


def _purge_returnee_registrations(now: dt.datetime) -> int:
    from gatehouse.returnees.services import registrations_purge

    return registrations_purge(now=now)


JOBS: list[Job] = [
    Job("purge closed observation cases", dt.timedelta(hours=1), _purge_closed_cases),
    Job("purge returnee registrations", dt.timedelta(hours=1), _purge_returnee_registrations),
    Job("purge seen pass nonces", dt.timedelta(seconds=60), _purge_seen_nonces),
    Job("purge departed residents", dt.timedelta(hours=1), _purge_departed_residents),
    Job("escalate unacknowledged alerts", dt.timedelta(seconds=5), _escalate_alerts),
    Job("deliver alert notifications", dt.timedelta(seconds=2), _deliver_notifications),
    Job("purge old alert notifications", dt.timedelta(hours=1), _purge_notifications),
    Job("raise overdue follow-ups", dt.timedelta(seconds=30), _raise_overdue_follow_ups),
    Job("uncovered gate slots", dt.timedelta(seconds=30), _gates_uncovered),
    Job("patrol rounds due", dt.timedelta(seconds=30), _patrol_rounds),
    # A street-size solve takes up to a minute; run another `manage.py worker` if that delays the rest.
    Job("solve requested rosters", dt.timedelta(seconds=2), _rosters_solve),
    Job("repair rosters", dt.timedelta(seconds=60), _rosters_repair),
    Job("purge sign-in codes", dt.timedelta(hours=1), _purge_signin_codes),
    Job("purge gate events past retention", dt.timedelta(hours=1), _purge_gate_events),
    Job("silent wristbands", dt.timedelta(seconds=5), _wristbands_silent),
    Job("wristbands of closed cases", dt.timedelta(seconds=60), _wristband_bindings_of_closed_cases),
    Job("telemetry partitions ahead", dt.timedelta(hours=1), _telemetry_partitions),
    Job("purge old telemetry", dt.timedelta(hours=1), _telemetry_purge),
]
