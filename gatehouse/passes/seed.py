"""The passes part of the demo (a SEED_STEPS entry): a pass for everyone living here, a phone number
for the "resident" login that the demo's phone sign-in can use, and printed cards for elderly
residents without a phone in that resident's neighbourhood."""

from __future__ import annotations

import random

from django.db import connection
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


def seed_passes(*, scale_name: str, rng: random.Random) -> None:
    passes_issue_to_everyone()

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


def passes_issue_to_everyone() -> int:
    """Issue a pass to every resident living here who has none, in one INSERT … SELECT (a district's
    660,000 in seconds): up front, so a gate's offline bundle knows everyone from its first download."""
    table, residents = Pass._meta.db_table, Resident._meta.db_table
    # Django keeps UUIDs as 32 hex characters on SQLite and as uuid on PostgreSQL.
    new_id = "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    now = timezone.now()
    columns = "id, created_at, updated_at, resident_id, status, revoked_reason, revoked_note"
    # Table names and the id expression come from the code above, never from input.
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {new_id}, %s, %s, r.id, %s, '', '' FROM {residents} r "
        f"WHERE r.status = %s AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.resident_id = r.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, Pass.PassStatus.ACTIVE, Resident.Status.ACTIVE])
        return int(cursor.rowcount)
