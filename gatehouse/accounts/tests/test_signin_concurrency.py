"""Sign-in codes asked for in parallel on PostgreSQL: the throttles hold when the requests race.

Real threads with their own connections start together at a barrier. Each throttle counts earlier
codes and then stores a new one. Without a lock, every racing request counts the same earlier codes
and all of them pass, so a flood of parallel requests would text a number as often as it liked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import translation

from gatehouse.accounts import sms
from gatehouse.accounts.models import SignInCode
from gatehouse.accounts.services import signin_code_request

pytestmark = pytest.mark.postgres

RACERS = 8


def race(ask: Callable[[int], object]) -> tuple[int, list[str]]:
    """Run `ask(i)` in RACERS threads at once: how many succeeded, and the refusals' messages."""
    barrier = threading.Barrier(RACERS)
    passed: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            with translation.override("en"):
                ask(i)
            passed.append(i)
        except ValidationError as exc:
            refused.append(exc.messages[0])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return len(passed), refused


@pytest.fixture
def outbox(postgres: None, transactional_db: None) -> list[sms.SmsMessage]:
    sms.outbox.clear()
    return sms.outbox


def test_one_number_asked_for_by_many_at_once_gets_one_code(outbox: list[sms.SmsMessage]) -> None:
    passed, refused = race(lambda i: signin_code_request(phone="13900009999", ip_address=f"10.0.0.{i}"))
    assert passed == 1
    assert [m.startswith("A code was sent just now.") for m in refused] == [True] * (RACERS - 1)
    assert SignInCode.objects.count() == 1


@override_settings(SIGNIN_CODES_PER_ADDRESS_PER_HOUR=3)
def test_one_network_asking_for_many_numbers_at_once_gets_its_hourly_share(
    outbox: list[sms.SmsMessage],
) -> None:
    passed, refused = race(lambda i: signin_code_request(phone=f"1390000{i:04d}", ip_address="10.7.7.7"))
    assert passed == 3
    assert set(refused) == {"Too many codes were asked from this network. Try again later."}
    assert len(refused) == RACERS - 3
    assert SignInCode.objects.filter(ip_address="10.7.7.7").count() == 3


def test_a_lock_outside_a_transaction_is_a_mistake_not_a_silent_no_op(outbox: list[sms.SmsMessage]) -> None:
    from gatehouse.lib.db import transaction_lock

    with pytest.raises(RuntimeError, match="inside atomic"):
        transaction_lock("anything")
