"""Reads of passes for gates: what an offline gate screen caches for its compound."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.utils import timezone

from gatehouse.passes.models import Card, Pass
from gatehouse.passes.services import pass_public_key
from gatehouse.people.models import Resident, mask_name
from gatehouse.places.models import Compound


def offline_bundle_for_compound(compound: Compound, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything a gate of `compound` needs to keep deciding with no network: the public key to verify
    rotating tokens, each active pass's masked name and colour, the cards, and what was revoked.

    Only what a gate volunteer may see (a masked name and a colour), never an identity number,
    phone or address. The caller (the gate app) checks that the asker stands at a gate of `compound`.
    """
    moment = now or timezone.now()
    passes = (
        Pass.objects.filter(resident__compound=compound)
        .select_related("resident")
        .only("id", "status", "resident__name", "resident__health_colour", "resident__status")
    )
    active, revoked = [], []
    for p in passes:
        if p.status == Pass.Status.ACTIVE and p.resident.status == Resident.Status.ACTIVE:
            active.append(
                {
                    "pass_id": str(p.id),
                    "masked_name": mask_name(p.resident.name),
                    "colour": p.resident.health_colour,
                }
            )
        else:
            revoked.append(str(p.id))
    cards = Card.objects.filter(pass_record__resident__compound=compound).only(
        "serial", "status", "pass_record_id"
    )
    return {
        "generated_at": moment.isoformat(),
        "compound_id": str(compound.id),
        "public_key": base64.b64encode(pass_public_key()).decode(),
        "passes": active,
        "revoked_pass_ids": revoked,
        "cards": [
            {"serial": c.serial, "pass_id": str(c.pass_record_id)}
            for c in cards
            if c.status == Card.Status.ACTIVE
        ],
        "revoked_card_serials": [c.serial for c in cards if c.status != Card.Status.ACTIVE],
    }
