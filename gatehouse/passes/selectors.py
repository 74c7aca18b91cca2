"""Reads of passes: what an offline gate screen caches for its compound, and a resident's pass and
cards for the neighbourhood worker. Every read that takes an id is scoped here (404 out of reach)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from gatehouse.core.roles import Capability, Scope
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


def compound_for_gate_check(*, scope: Scope, compound_id: uuid.UUID | str) -> Compound:
    """A compound the caller may check people at: gate staff at one of its gates, the neighbourhood
    worker (or building manager) over it, or a street officer or district command above it."""
    candidates = scope.restrict(
        Compound.objects.all(), Capability.GATE_CHECK, to_gate="gates", to_compound=""
    )
    if not scope.can(Capability.GATE_CHECK):
        candidates = scope.restrict(Compound.objects.all(), Capability.VIEW_PLACES, to_compound="")
    try:
        compound = candidates.filter(id=compound_id).distinct().first()
    except (ValueError, ValidationError):
        compound = None
    if compound is None:
        raise Http404
    return compound


def resident_passes(*, resident: Resident) -> QuerySet[Pass]:
    """A resident's passes, newest first. `resident` must come from a scoped selector."""
    return Pass.objects.filter(resident=resident).order_by("-created_at")


def resident_cards(*, resident: Resident) -> QuerySet[Card]:
    """A resident's printed cards, newest first. `resident` must come from a scoped selector."""
    return Card.objects.filter(pass_record__resident=resident).order_by("-version")


def cards_for_print(*, cards: list[Card]) -> list[Card]:
    """Cards with what is printed on them (one query), in the order given."""
    order = {card.id: i for i, card in enumerate(cards)}
    rows = Card.objects.filter(id__in=order).select_related(
        "pass_record__resident__compound__neighbourhood__street__district"
    )
    return sorted(rows, key=lambda c: order[c.id])


def household_active_cards(*, resident: Resident) -> QuerySet[Card]:
    """The valid card of each member of `resident`'s household (from a scoped selector)."""
    return Card.objects.filter(
        pass_record__resident__household_id=resident.household_id, status=Card.Status.ACTIVE
    ).select_related("pass_record")
