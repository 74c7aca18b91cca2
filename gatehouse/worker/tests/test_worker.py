import io

import pytest
from django.core.management import call_command

from gatehouse.worker import jobs
from gatehouse.worker.jobs import Job

pytestmark = pytest.mark.django_db


def test_only_and_skip_pick_the_jobs_a_worker_runs(monkeypatch):
    ran: list[str] = []

    def job(name):
        return Job(name, jobs.dt.timedelta(seconds=1), lambda now: ran.append(name) or 0)

    monkeypatch.setattr(
        "gatehouse.worker.management.commands.worker.JOBS",
        [job("solve requested rosters"), job("escalate alerts"), job("purge nonces")],
    )
    call_command("worker", "--once", "--skip", "solve")
    assert ran == ["escalate alerts", "purge nonces"]
    ran.clear()
    call_command("worker", "--once", "--only", "solve")
    assert ran == ["solve requested rosters"]
    with pytest.raises(SystemExit):
        call_command("worker", "--once", "--only", "nothing-like-this", stderr=io.StringIO())


def test_every_real_job_runs_once_on_an_empty_database():
    call_command("worker", "--once")
