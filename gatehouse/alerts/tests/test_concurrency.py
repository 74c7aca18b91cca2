"""Two workers at once on PostgreSQL: every due alert is escalated once and every notice sent once.

Real threads with their own connections start together at a barrier and run the same job over the
same due rows; the compare-and-set claims must split the rows between them without overlap.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.db import connection

from gatehouse.alerts.models import Alert, AlertEvent, Notification
from gatehouse.alerts.services import alert_raise, alerts_escalate_due, notifications_deliver_due
from gatehouse.testing import make_world

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2020, 2, 20, 9, 0, tzinfo=dt.UTC)
ALERTS = 60


def run_together(job: Callable[[], int], workers: int = 2) -> list[int]:
    barrier = threading.Barrier(workers)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(job())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


@pytest.fixture
def world(postgres: None, transactional_db: None) -> SimpleNamespace:
    world = SimpleNamespace()
    make_world(world)
    return world


def test_two_workers_escalate_and_notify_each_alert_once(world: SimpleNamespace) -> None:
    for i in range(ALERTS):
        alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=world.nb_a if i % 2 else world.nb_b,
            title=f"发热 {i}",
            dedupe_key=f"race-{i}",
            evidence={"n": i},
            at=T0,
        )
    due = T0 + dt.timedelta(minutes=15)
    for _round in range(3):  # several rounds: the later ones find nothing left to claim
        run_together(lambda: alerts_escalate_due(now=due))
    assert AlertEvent.objects.filter(kind=AlertEvent.Kind.ESCALATED).count() == ALERTS
    assert set(Alert.objects.values_list("level", flat=True)) == {"street"}
    assert Notification.objects.filter(reason="escalated").count() == ALERTS

    sent = run_together(lambda: notifications_deliver_due(now=due))
    sent += run_together(lambda: notifications_deliver_due(now=due))
    assert sum(sent) == 2 * ALERTS
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
