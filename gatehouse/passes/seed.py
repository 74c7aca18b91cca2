"""The passes part of the demo (a SEED_STEPS entry): a pass for everyone living here, a phone number
for the "resident" login that the demo's phone sign-in can use, and printed cards for elderly
residents without a phone in that resident's neighbourhood."""

from __future__ import annotations

import random

from django.utils import timezone

from gatehouse.accounts.models import User
from gatehouse.core.audit import SYSTEM
from gatehouse.core.roles import Role, Scope
from gatehouse.passes.models import Pass
from gatehouse.passes.services import card_issue
from gatehouse.people.models import Resident, ResidentTag
from gatehouse.people.services import resident_update

# China Mobile's well-known test number: the demo's phone sign-in prints its code to the console.
DEMO_PHONE = "13800138000"
DEMO_CARDS = 12
_BATCH = 5000


def seed_passes(*, scale_name: str, rng: random.Random) -> None:
    now = timezone.now()
    has_pass = set(Pass.objects.values_list("resident_id", flat=True))
    batch: list[Pass] = []
    # Issued up front, so a gate's offline bundle knows every resident from its first download.
    for resident_id in Resident.objects.filter(status=Resident.Status.ACTIVE).values_list("id", flat=True):
        if resident_id not in has_pass:
            batch.append(Pass(resident_id=resident_id, created_at=now, updated_at=now))
        if len(batch) >= _BATCH:
            Pass.objects.bulk_create(batch)
            batch = []
    Pass.objects.bulk_create(batch)

    login = User.objects.filter(username="resident").select_related("resident__compound").first()
    if login is None or login.resident is None:
        return
    me = login.resident
    district_id = me.compound.neighbourhood.street.district_id
    scope = Scope.for_role(Role.DISTRICT_COMMAND, district_id=district_id)
    # The resident and one other member of the household share the demo phone: the family chooser.
    family = list(
        Resident.objects.filter(household_id=me.household_id, status=Resident.Status.ACTIVE)
        .exclude(id=me.id)
        .order_by("birth_date")[:1]
    )
    for member in [me, *family]:
        resident_update(scope=scope, actor=SYSTEM, resident=member, phone=DEMO_PHONE)
    no_phone = Resident.objects.filter(
        compound__neighbourhood_id=me.compound.neighbourhood_id,
        status=Resident.Status.ACTIVE,
        tags__tag=ResidentTag.Tag.NO_PHONE,
    ).order_by("birth_date", "id")[:DEMO_CARDS]
    for resident in no_phone:
        card_issue(actor=SYSTEM, resident=resident)
