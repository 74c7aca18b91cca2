"""Demo data: a morning of checks at the demo gate (the "gate" login's), through the real service."""

from __future__ import annotations

import random
import uuid

from gatehouse.accounts.models import User
from gatehouse.core.roles import Role
from gatehouse.gate.models import GateEvent
from gatehouse.gate.selectors import gate_context
from gatehouse.gate.services import CheckRequest, gate_check_record, gate_duty_start
from gatehouse.passes.services import pass_token_for
from gatehouse.people.models import Resident
from gatehouse.places.models import Gate


def seed_gate_events(*, scale_name: str, rng: random.Random) -> None:
    if GateEvent.objects.exists():
        return
    staff = User.objects.filter(username="gate", role=Role.GATE_STAFF).first()
    gate = staff.gate if staff is not None and staff.gate is not None else None
    if gate is None:
        gate = Gate.objects.filter(status=Gate.Status.OPEN, compound__residents__isnull=False).first()
    if gate is None:
        return
    context = gate_context(gate.id, fresh=True)
    assert context is not None
    if staff is not None:
        gate_duty_start(gate=gate, user=staff)
    residents = list(
        Resident.objects.filter(compound_id=gate.compound_id, status=Resident.Status.ACTIVE)[:40]
    )
    checks: list[dict[str, object]] = []
    for resident in rng.sample(residents, min(12, len(residents))):
        checks.append(
            {"subject": "token", "value": pass_token_for(resident), "temperature": f"36.{rng.randint(1, 9)}"}
        )
    checks += [
        {"subject": "visitor", "temperature": "36.5"},
        {"subject": "courier", "temperature": "36.7"},
        {"subject": "courier", "temperature": "36.4"},
        {"subject": "emergency"},
        {"subject": "visitor", "temperature": "37,5"},
        {"subject": "visitor", "temperature": "38.1"},
    ]
    for check in checks:
        gate_check_record(
            context=context,
            staff=staff,
            request=CheckRequest(
                client_id=f"seed-{uuid.UUID(int=rng.getrandbits(128)).hex}",
                subject=str(check["subject"]),
                direction=rng.choice(["in", "in", "out"]),
                value=str(check.get("value", "")),
                temperature=check.get("temperature"),
                device="demo seed",
            ),
        )
