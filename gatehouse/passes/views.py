"""Pages: the resident's pass on their phone, and a resident's pass and cards for the neighbourhood
worker (print a household's cards, revoke a pass). Thin: scoped selector, one service, render."""

from __future__ import annotations

import uuid
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.roles import Capability
from gatehouse.passes import selectors, services
from gatehouse.passes.cards import cards_response
from gatehouse.passes.forms import CardsForm, RevokeForm
from gatehouse.passes.session import holder_pass, holder_resident
from gatehouse.people import selectors as people_selectors
from gatehouse.people.models import Resident
from gatehouse.web.pages import page_scope as _scope

# The menu entry web/context.py shows residents (the string lives in this app's catalogue).
NAV_LABEL = gettext_lazy("My pass")


def qr_svg(data: str) -> str:
    """An inline SVG QR code that scales to its box (segno, rendered here: no script, no CDN)."""
    return str(
        segno.make(data, error="m", micro=False).svg_inline(
            scale=1,
            border=3,
            omitsize=True,
            svgclass="qr-code",
            lineclass="qr-line",
            dark="#000",
            light="#fff",
        )
    )


def _live_context(request: HttpRequest, resident: Resident) -> dict[str, Any]:
    holder = holder_pass(request, resident)
    context: dict[str, Any] = {
        "resident": resident,
        "problem": holder.problem,
        "pass_record": holder.pass_record,
    }
    if holder.problem is None and holder.pass_record is not None:
        now = timezone.now()
        token = services.pass_phone_token(
            pass_record=holder.pass_record, now=now, refresh_seconds=settings.PASS_REFRESH_SECONDS
        )
        context.update(
            token=token,
            qr=qr_svg(token.token),
            valid_for=max(0.0, (token.valid_until - now).total_seconds()),
        )
    return context


@never_cache
@login_required(login_url="accounts:signin")
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The resident's pass on their phone: the colour, big; a QR code that refreshes itself."""
    resident = holder_resident(request)
    context = _live_context(request, resident)
    context["history"] = people_selectors.resident_colour_history(resident=resident)
    return render(request, "passes/mine.html", context)


@never_cache
@require_GET
def mine_qr(request: HttpRequest) -> HttpResponse:
    """The live part of the pass page, fetched by the phone at each token step."""
    if not request.user.is_authenticated:
        # Not a redirect: the page's script must say "signed out", not paste a login form into the pass.
        return HttpResponse(_("Signed out."), status=401, content_type="text/plain; charset=utf-8")
    resident = holder_resident(request)
    return render(request, "passes/_live.html", _live_context(request, resident))


# --- the neighbourhood worker's side ----------------------------------------------------------------


@login_required
@require_GET
def resident_page(request: HttpRequest, resident_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    if not scope.can(Capability.VIEW_RESIDENTS):
        raise PermissionDenied
    resident = people_selectors.resident_open(
        scope=scope, actor=actor_from_request(request), resident_id=resident_id
    )
    members = list(people_selectors.household_members(resident=resident).order_by("birth_date", "id"))
    current = {
        card.pass_record.resident_id: card for card in selectors.household_active_cards(resident=resident)
    }
    return render(
        request,
        "passes/resident.html",
        {
            "resident": resident,
            "passes": selectors.resident_passes(resident=resident)[:10],
            "cards": selectors.resident_cards(resident=resident)[:20],
            "members": [(m, current.get(m.id)) for m in members],
            "revoke_form": RevokeForm(),
            "can_edit": scope.can(Capability.EDIT_RESIDENTS),
        },
    )


@login_required
@require_POST
def cards_print(request: HttpRequest, resident_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    form = CardsForm(request.POST, members=people_selectors.household_members(resident=resident))
    if not form.is_valid():
        messages.error(request, _("Choose at least one member of the household."))
        return redirect("passes:resident", resident_id=resident.id)
    try:
        cards = services.household_cards_issue(
            scope=scope,
            actor=actor_from_request(request),
            resident=resident,
            member_ids=[m.id for m in form.cleaned_data["members"]],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("passes:resident", resident_id=resident.id)
    return cards_response(selectors.cards_for_print(cards=cards))


@login_required
@require_POST
def revoke(request: HttpRequest, resident_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.pass_revoke(
                scope=scope,
                actor=actor_from_request(request),
                resident=resident,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The pass and its cards are revoked. Gates refuse them from now on."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("passes:resident", resident_id=resident.id)
