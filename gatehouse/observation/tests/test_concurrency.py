"""Two workers at once on PostgreSQL raise exactly one overdue alert per missed follow-up."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest

from gatehouse.alerts.models import Alert
from gatehouse.alerts.tests.test_concurrency import run_together
from gatehouse.observation.models import ObservationCase
from gatehouse.observation.services import case_open, follow_ups_overdue_raise
from gatehouse.people.services import resident_register
from gatehouse.testing import SETUP, make_world

pytestmark = pytest.mark.postgres

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
CASES = 40


@pytest.fixture
def world(postgres: None, transactional_db: None) -> SimpleNamespace:
    world = SimpleNamespace()
    make_world(world)
    return world


def test_two_workers_raise_one_overdue_alert_per_case(world: SimpleNamespace) -> None:
    opened = dt.datetime(2020, 2, 17, 8, 0, tzinfo=SH)
    for i in range(CASES):
        resident = resident_register(
            scope=world.command.scope,
            actor=SETUP,
            compound=world.compound_a1 if i % 2 else world.compound_b1,
            building="9",
            room=str(100 + i),
            name=f"测试{i}",
            sex="F",
            birth_date=dt.date(1980, 1, 1),
        )
        case_open(actor=SETUP, resident=resident, kind="home_observation", reason="返沪", at=opened)
    late = dt.datetime(2020, 2, 17, 12, 5, tzinfo=SH)
    raised = []
    for _round in range(3):
        raised += run_together(lambda: follow_ups_overdue_raise(now=late))
    assert sum(raised) == CASES
    assert Alert.objects.filter(kind=Alert.Kind.FOLLOW_UP_OVERDUE).count() == CASES
    assert set(Alert.objects.values_list("evidence_count", flat=True)) == {1}
    assert not ObservationCase.objects.filter(follow_up_alert_at__isnull=False).exists()
