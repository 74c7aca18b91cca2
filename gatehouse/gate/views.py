"""Gate pages: the gate screen (phone, outdoors, bad network), its service worker, registering a
returnee a check sent to registration, and "today at this gate" for the neighbourhood."""

from __future__ import annotations

import functools
import hashlib
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from gatehouse.accounts.models import User
from gatehouse.accounts.services import actor_from_request
from gatehouse.core.roles import Capability, Role
from gatehouse.gate import decision as rules
from gatehouse.gate import selectors, services
from gatehouse.people.models import HealthColour
from gatehouse.places.models import Gate
from gatehouse.returnees import services as returnee_services
from gatehouse.returnees.forms import ReturneeForm
from gatehouse.returnees.models import ReturneeRegistration
from gatehouse.web.forms import apply_service_errors
from gatehouse.web.pages import page_scope as _scope


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Gate staff go straight to their gate; others with checks to run pick one."""
    scope = _scope(request)
    if not scope.can(Capability.GATE_CHECK):
        raise PermissionDenied
    gates = list(selectors.gates_for_check(scope=scope)[:200])
    if len(gates) == 1:
        return redirect("gate:screen", gate_id=gates[0].id)
    return render(request, "gate/pick.html", {"gates": gates})


@login_required
def screen(request: HttpRequest, gate_id: uuid.UUID) -> HttpResponse:
    scope = _scope(request)
    context = selectors.gate_for_check(scope=scope, gate_id=gate_id)
    user = request.user
    assert isinstance(user, User)
    if user.role == Role.GATE_STAFF:
        services.gate_duty_start(gate=context.gate_id, user=user)  # opening the screen is checking in
    response = render(
        request,
        "gate/screen.html",
        {
            "context": context,
            "on_duty": selectors.duty_now(gate_id=context.gate_id),
            "recent": selectors.recent_events(context=context),
            "labels": {
                "colours": {c.value: str(c.label).split(":")[0].split("：")[0] for c in HealthColour},
                "fallback": {
                    "outcomes": {k: str(v) for k, v in rules.OUTCOME_LABELS.items()},
                    "reasons": {k: str(v) for k, v in rules.REASON_LABELS.items()},
                    "steps": {k: str(v) for k, v in rules.STEPS.items()},
                    "default_steps": {k: str(v) for k, v in rules.DEFAULT_STEP.items()},
                },
            },
            "subjects": [
                ("token", pgettext("gate subject", "Scan pass")),
                ("card", pgettext("gate subject", "Card")),
                ("id_number", pgettext("gate subject", "ID number")),
                ("plate", pgettext("gate subject", "Plate")),
                ("visitor", pgettext("gate subject", "Visitor")),
                ("courier", pgettext("gate subject", "Delivery courier")),
                ("emergency", pgettext("gate subject", "Ambulance")),
                ("staff", pgettext("gate subject", "Staff on duty")),
            ],
        },
    )
    # The page is cached by the service worker for offline use: never by a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response


@functools.cache
def static_version() -> str:
    """A digest of every static file: the service worker's cache is named after it.

    The worker serves code from its cache first (a gate phone must work with no network), under
    file names that do not change when the code does. A new release therefore changes the worker
    itself, which browsers fetch again on the next visit; the new worker drops the old cache.
    """
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda item: item[0]):
            with storage.open(path) as f:
                digest.update(path.encode() + b"\0" + f.read())
    return digest.hexdigest()[:16]


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /gate/ so its scope covers every gate screen. Holds no data: code only."""
    body = render_to_string("gate/sw.js", {"version": static_version()})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/gate/"
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def returnee_register(request: HttpRequest, event_id: uuid.UUID) -> HttpResponse:
    """Gate staff register the returnee a check sent here; they reach the person only through it."""
    scope = _scope(request)
    context, event = selectors.event_for_registration(scope=scope, event_id=event_id)
    resident = event.subject_resident
    assert resident is not None
    form = ReturneeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = returnee_services.returnee_register(
                actor=actor_from_request(request),
                resident=resident,
                answers=form.answers(),
                via=ReturneeRegistration.Via.GATE,
                gate=Gate.objects.get(id=context.gate_id),
            )
            return render(
                request,
                "gate/registered.html",
                {"registration": registration, "context": context, "label": event.subject_label},
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(
        request, "returnees/register.html", {"form": form, "who": event.subject_label, "context": context}
    )


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """Today's checks, fevers, refusals and returnees, per gate and compound; polled every 5 s."""
    scope = _scope(request)
    if not scope.can(Capability.VIEW_RESIDENTS):
        raise PermissionDenied
    compounds = list(selectors.compounds_with_gates(scope=scope)[:500])
    compound_id = _uuid_or_none(request.GET.get("compound"))
    gate_id = _uuid_or_none(request.GET.get("gate"))
    if compound_id is not None and compound_id not in {c.id for c in compounds}:
        raise Http404
    if gate_id is not None and not any(g.id == gate_id for c in compounds for g in c.gates.all()):
        raise Http404
    counts = selectors.today_counts(scope=scope, compound_id=compound_id, gate_id=gate_id)
    recent = selectors.events_in_scope(scope=scope).select_related("gate", "compound")
    if compound_id is not None:
        recent = recent.filter(compound_id=compound_id)
    if gate_id is not None:
        recent = recent.filter(gate_id=gate_id)
    data: dict[str, Any] = {
        "counts": counts,
        "compounds": compounds,
        "compound_id": compound_id,
        "gate_id": gate_id,
        "recent": recent.filter(at__gte=counts["since"])[:30],
        "outcome_labels": rules.OUTCOME_LABELS,
        "query": request.GET.urlencode(),
    }
    template = "gate/_today.html" if request.headers.get("HX-Request") else "gate/today.html"
    return render(request, template, data)


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise Http404 from exc
