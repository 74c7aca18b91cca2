"""Concurrent appends on PostgreSQL never fork the chain (the head row serialises them)."""

import threading

import pytest
from django.db import connection

from gatehouse.core.audit import Actor, audit_record, audit_verify


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(postgres):
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for i in range(25):
                audit_record(
                    actor=Actor(user_id=worker, label=f"w{worker}", role="x"),
                    action="view",
                    object_type="resident",
                    object_id=f"{worker}-{i}",
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit_verify()
    assert (report.intact, report.entries) == (True, 100)
