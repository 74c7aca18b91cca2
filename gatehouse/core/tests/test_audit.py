import io
import itertools

import pytest
from django.core.management import call_command

from gatehouse.core.audit import SYSTEM, Actor, audit_record, audit_verify
from gatehouse.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db

ALICE = Actor(user_id=7, label="李娜", role="neighbourhood_worker", ip_address="10.0.0.7")


def _fill(n: int = 5) -> list[AuditEntry]:
    return [
        audit_record(actor=ALICE, action="view", object_type="resident", object_id=f"r{i}") for i in range(n)
    ]


def test_it_chains_every_entry_to_the_one_before():
    entries = _fill()
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    assert audit_verify().intact
    assert audit_verify().entries == 5


def test_it_finds_an_altered_entry():
    entries = _fill()
    AuditEntry.objects.filter(seq=entries[2].seq).update(actor_label="someone else")
    report = audit_verify()
    assert (report.intact, report.first_broken_seq) == (False, entries[2].seq)


def test_it_finds_a_deleted_entry_in_the_middle():
    entries = _fill()
    AuditEntry.objects.filter(seq=entries[1].seq).delete()
    report = audit_verify()
    assert not report.intact
    assert report.first_broken_seq == entries[1].seq


def test_it_finds_a_deleted_tail_through_the_chain_head():
    entries = _fill()
    AuditEntry.objects.filter(seq=entries[-1].seq).delete()
    report = audit_verify()
    assert not report.intact
    assert "removed" in report.reason


def test_a_rehashed_forgery_still_breaks_at_the_head():
    """Rewriting an entry and recomputing its own hash still breaks the next entry's link."""
    entries = _fill(3)
    forged = AuditEntry.objects.get(seq=entries[1].seq)
    forged.detail = "nothing to see"
    from gatehouse.core.audit import _entry_hash, _fields_of

    forged.entry_hash = _entry_hash(forged.prev_hash, _fields_of(forged))
    forged.save()
    assert audit_verify().first_broken_seq == entries[2].seq


def test_the_command_exits_non_zero_on_a_broken_chain():
    _fill(3)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact: 3 entries" in out.getvalue()
    AuditEntry.objects.filter(seq=2).update(action="export")
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify", stderr=io.StringIO())
    assert exc.value.code == 1


def test_the_head_is_a_single_row():
    audit_record(actor=SYSTEM, action="create", object_type="x", object_id="1")
    assert AuditChainHead.objects.count() == 1
