"""Passes over the API: the resident's own token, the public key and offline bundle for gates, and a
resident's pass and cards for the neighbourhood worker (revoke, print)."""

import base64
import datetime as dt
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from gatehouse.accounts.services import actor_from_request
from gatehouse.api.base import scope_of
from gatehouse.core.roles import Capability
from gatehouse.lib import passtoken
from gatehouse.passes import selectors, services
from gatehouse.passes.cards import cards_response
from gatehouse.passes.models import Card, Pass
from gatehouse.passes.session import holder_pass, holder_resident
from gatehouse.people import selectors as people_selectors
from gatehouse.people.models import HealthColour, Resident

router = Router(tags=["passes"])


class PassTokenOut(Schema):
    token: str = Field(..., description="show as a QR code; valid until valid_until, once")
    step: int
    valid_until: dt.datetime
    refresh_in_seconds: float
    colour: HealthColour
    colour_reason: str
    masked_name: str


class PassPublicKeyOut(Schema):
    algorithm: str
    public_key: str = Field(..., description="base64 of the raw 32-byte Ed25519 public key")
    token_prefix: str
    step_seconds: int
    max_skew_seconds: int


class OfflineBundlePassOut(Schema):
    pass_id: uuid.UUID
    masked_name: str
    colour: HealthColour


class OfflineBundleCardOut(Schema):
    serial: str
    pass_id: uuid.UUID


class OfflineBundleOut(Schema):
    generated_at: dt.datetime
    compound_id: uuid.UUID
    public_key: str
    passes: list[OfflineBundlePassOut]
    revoked_pass_ids: list[uuid.UUID]
    cards: list[OfflineBundleCardOut]
    revoked_card_serials: list[str]


class PassCardOut(Schema):
    serial: str
    version: int
    status: Card.CardStatus
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str


class PassRecordOut(Schema):
    id: uuid.UUID
    status: Pass.PassStatus
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str
    revoked_note: str


class ResidentPassesOut(Schema):
    resident_id: uuid.UUID
    masked_name: str
    passes: list[PassRecordOut]
    cards: list[PassCardOut]


class PassRevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., max_length=20, description="moved_out, lost, deceased or other")
    note: str = Field("", max_length=200, description="required for other")


class PassCardsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    member_ids: list[uuid.UUID] | None = Field(
        None, max_length=20, description="members of the resident's household; all living there if omitted"
    )


def _passes_of(resident: Resident) -> dict[str, object]:
    return {
        "resident_id": resident.id,
        "masked_name": resident.masked_name,
        "passes": list(selectors.resident_passes(resident=resident)[:10]),
        "cards": list(selectors.resident_cards(resident=resident)[:20]),
    }


@router.get("/me/token", response=PassTokenOut, summary="A fresh rotating token for my pass (residents)")
def my_token(request: HttpRequest) -> dict[str, object]:
    resident = holder_resident(request)
    holder = holder_pass(request, resident)
    if holder.problem is not None or holder.pass_record is None:
        raise HttpError(410, _("This pass is no longer valid. Sign in again with your phone number."))
    token = services.pass_phone_token(
        pass_record=holder.pass_record, refresh_seconds=settings.PASS_REFRESH_SECONDS
    )
    return {
        "token": token.token,
        "step": token.step,
        "valid_until": token.valid_until,
        "refresh_in_seconds": token.refresh_in,
        "colour": resident.health_colour,
        "colour_reason": resident.health_colour_reason,
        "masked_name": resident.masked_name,
    }


@router.get("/public-key", response=PassPublicKeyOut, summary="The key gates verify pass tokens with")
def public_key(request: HttpRequest) -> dict[str, object]:
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(services.pass_public_key()).decode(),
        "token_prefix": passtoken.PREFIX,
        "step_seconds": passtoken.STEP_SECONDS,
        "max_skew_seconds": passtoken.MAX_SKEW_SECONDS,
    }


@router.get(
    "/offline-bundle",
    response=OfflineBundleOut,
    summary="What a gate of the compound caches to keep checking with no network",
)
def offline_bundle(request: HttpRequest, compound_id: uuid.UUID) -> dict[str, object]:
    compound = selectors.compound_for_gate_check(scope=scope_of(request), compound_id=compound_id)
    return selectors.offline_bundle_for_compound(compound)


@router.get("/residents/{resident_id}", response=ResidentPassesOut, summary="A resident's passes and cards")
def resident_passes(request: HttpRequest, resident_id: uuid.UUID) -> dict[str, object]:
    scope = scope_of(request)
    if not scope.can(Capability.VIEW_RESIDENTS):
        raise HttpError(404, _("Not found, or not in your area."))
    resident = people_selectors.resident_open(
        scope=scope, actor=actor_from_request(request), resident_id=resident_id
    )
    return _passes_of(resident)


@router.post("/residents/{resident_id}/revoke", response=ResidentPassesOut, summary="Revoke a pass, at once")
def resident_pass_revoke(
    request: HttpRequest, resident_id: uuid.UUID, payload: PassRevokeIn
) -> dict[str, object]:
    scope = scope_of(request)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    services.pass_revoke(
        scope=scope,
        actor=actor_from_request(request),
        resident=resident,
        reason=payload.reason,
        note=payload.note,
    )
    return _passes_of(resident)


@router.post(
    "/residents/{resident_id}/cards",
    response={200: None},
    summary="Print cards for the resident's household (PDF, one A6 page each)",
)
def household_cards(request: HttpRequest, resident_id: uuid.UUID, payload: PassCardsIn) -> HttpResponse:
    scope = scope_of(request)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    cards = services.household_cards_issue(
        scope=scope, actor=actor_from_request(request), resident=resident, member_ids=payload.member_ids
    )
    return cards_response(selectors.cards_for_print(cards=cards))
