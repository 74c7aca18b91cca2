import re

import pytest
from django.core.management import call_command
from django.db import connection

from gatehouse.accounts.models import User
from gatehouse.core.roles import Role
from gatehouse.demo.seed import seed
from gatehouse.lib import crypto
from gatehouse.lib.identity import identity_number_normalise
from gatehouse.people.models import Resident
from gatehouse.people.services import ID_CONTEXT
from gatehouse.places.models import Compound, CompoundClass, GateRegime, Street

pytestmark = pytest.mark.django_db


def test_the_tiny_seed_builds_every_class_with_valid_encrypted_identity_numbers():
    report = seed(scale_name="tiny", demo_password="a-demo-password")
    assert report.residents == Resident.objects.count() == 300
    assert Street.objects.count() == 2
    assert set(Compound.objects.values_list("compound_class", flat=True)) == set(CompoundClass.values)
    assert GateRegime.objects.count() == len(CompoundClass.values)
    for resident in Resident.objects.all()[:50]:
        number = crypto.decrypt_text(bytes(resident.id_number_ciphertext), context=ID_CONTEXT)
        assert identity_number_normalise(number) == number
        assert resident.id_number_masked == number[:6] + "********" + number[14:]
        assert resident.birth_date.strftime("%Y%m%d") == number[6:14]
    assert not Resident.objects.filter(compound__compound_class=CompoundClass.UNOCCUPIED_AREA).exists()


def test_no_identity_number_is_stored_in_the_clear():
    seed(scale_name="tiny")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_resident")
        dump = " ".join(str(value) for row in cursor.fetchall() for value in row)
    # A full 18-character identity number would match this; masked ones have ********.
    assert not re.search(r"\b[1-9]\d{5}(?:19|20)\d{2}[01]\d[0-3]\d{4}\b", dump)


def test_there_is_a_demo_login_for_every_role():
    seed(scale_name="tiny", demo_password="a-demo-password")
    assert set(User.objects.values_list("role", flat=True)) >= set(Role.values)
    worker_a = User.objects.get(username="worker-a")
    worker_b = User.objects.get(username="worker-b")
    assert worker_a.neighbourhood_id != worker_b.neighbourhood_id
    assert worker_a.check_password("a-demo-password")


def test_the_command_refuses_to_seed_twice_unless_asked_to_skip(capsys, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_DEMO_PASSWORD", "a-demo-password")
    call_command("seed", "--scale", "tiny")
    call_command("seed", "--scale", "tiny", "--if-empty")
    assert "already seeded" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("seed", "--scale", "tiny")
