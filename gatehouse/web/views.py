"""Pages. Each view parses, reads through a scoped selector (404 when out of reach), calls one
service, renders. No query here touches a model directly."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.models import AuditEntry
from gatehouse.core.roles import Capability, Role
from gatehouse.core.selectors import audit_list
from gatehouse.people import exports
from gatehouse.people import selectors as people_selectors
from gatehouse.people import services as people_services
from gatehouse.places import selectors as place_selectors
from gatehouse.places import services as place_services
from gatehouse.web.forms import (
    GateForm,
    PolicyForm,
    RegimeForm,
    ResidentForm,
    apply_service_errors,
    changed_values,
)
from gatehouse.web.pages import page_require as _need
from gatehouse.web.pages import page_scope as _scope


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope.can(Capability.VIEW_PLACES):
        return redirect("web:places")
    if scope.can(Capability.VIEW_OWN_RECORD):
        return redirect("web:me")
    if scope.can(Capability.VOLUNTEER_DUTY):
        return redirect("volunteers:my_shifts")
    return render(
        request, "web/home.html", {"role": Role(scope.role).label if scope.role in Role.values else ""}
    )


# --- places -------------------------------------------------------------------------------------


@login_required
def places(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VIEW_PLACES)
    bound = scope.binding()
    level = bound[0] if bound else None
    # Start the tree at the caller's own level: a neighbourhood worker sees their compounds at once.
    if level == "neighbourhood":
        assert scope.neighbourhood_id is not None
        return neighbourhood_node(request, scope.neighbourhood_id, page=True)
    if level == "compound":
        assert scope.compound_id is not None
        return compound_page(request, scope.compound_id)
    counts = people_selectors.resident_counts_by(scope=scope, level="street")
    streets = [
        {"street": s, "residents": counts.get(s.id, 0)} for s in place_selectors.street_counts(scope=scope)
    ]
    return render(request, "web/places.html", {"streets": streets, "total": sum(counts.values())})


@login_required
def street_node(request: HttpRequest, street_id: Any) -> HttpResponse:
    scope = _scope(request)
    street = place_selectors.street_get(scope=scope, street_id=street_id)
    counts = people_selectors.resident_counts_by(scope=scope, level="neighbourhood")
    rows = [
        {"neighbourhood": n, "residents": counts.get(n.id, 0)}
        for n in place_selectors.neighbourhood_counts(scope=scope, street_id=street.id)
    ]
    return render(request, "web/_street_node.html", {"street": street, "rows": rows})


@login_required
def neighbourhood_node(request: HttpRequest, neighbourhood_id: Any, page: bool = False) -> HttpResponse:
    scope = _scope(request)
    neighbourhood = place_selectors.neighbourhood_get(scope=scope, neighbourhood_id=neighbourhood_id)
    counts = people_selectors.resident_counts_by(scope=scope, level="compound")
    rows = [
        {"compound": c, "residents": counts.get(c.id, 0)}
        for c in place_selectors.compound_counts(scope=scope, neighbourhood_id=neighbourhood.id)
    ]
    template = (
        "web/neighbourhood.html"
        if page or not request.headers.get("HX-Request")
        else "web/_neighbourhood_node.html"
    )
    return render(request, template, {"neighbourhood": neighbourhood, "rows": rows})


@login_required
def compound_page(request: HttpRequest, compound_id: Any) -> HttpResponse:
    scope = _scope(request)
    compound = place_selectors.compound_get(scope=scope, compound_id=compound_id)
    gates = compound.gates.all()  # the compound came through the scoped selector, so its gates are in reach
    regime = place_selectors.regime_for_compound(compound)
    residents = people_selectors.resident_list(scope=scope).filter(compound=compound).count()
    return render(
        request,
        "web/compound.html",
        {
            "compound": compound,
            "gates": gates,
            "regime": regime,
            "resident_count": residents,
            "can_edit": scope.can(Capability.EDIT_PLACES),
            "can_add": scope.can(Capability.EDIT_RESIDENTS),
            "can_export": scope.can(Capability.EXPORT_RESIDENTS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def gate_edit(request: HttpRequest, gate_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_PLACES)
    gate = place_selectors.gate_get(scope=scope, gate_id=gate_id)
    form = GateForm(request.POST or None, instance=copy.copy(gate))
    if request.method == "POST" and form.is_valid():
        try:
            place_services.gate_update(
                scope=scope, actor=actor_from_request(request), gate=gate, **changed_values(form)
            )
            messages.success(request, _("Gate saved."))
            return redirect("web:compound", compound_id=gate.compound_id)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "web/form.html", {"form": form, "title": str(gate), "back": gate.compound})


@login_required
def regimes(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_REGIMES)
    return render(request, "web/regimes.html", {"regimes": place_selectors.regime_list(scope=scope)})


@login_required
@require_http_methods(["GET", "POST"])
def regime_edit(request: HttpRequest, compound_class: str) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_REGIMES)
    regime = place_selectors.regime_list(scope=scope).filter(compound_class=compound_class).first()
    if regime is None:
        raise Http404
    form = RegimeForm(request.POST or None, instance=copy.copy(regime))
    if request.method == "POST" and form.is_valid():
        try:
            place_services.regime_update(
                scope=scope, actor=actor_from_request(request), regime=regime, **changed_values(form)
            )
            messages.success(request, _("Regime saved."))
            return redirect("web:regimes")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "web/form.html", {"form": form, "title": str(regime)})


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_POLICIES)
    district = place_selectors.district_for_scope(scope=scope)
    assert district is not None
    form = PolicyForm(request.POST or None, instance=copy.copy(district))
    if request.method == "POST" and form.is_valid():
        try:
            place_services.district_policy_update(
                scope=scope, actor=actor_from_request(request), district=district, **changed_values(form)
            )
            messages.success(request, _("Policy saved."))
            return redirect("web:policy")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "web/form.html", {"form": form, "title": _("District policy")})


# --- residents ----------------------------------------------------------------------------------


@login_required
def resident_search(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VIEW_RESIDENTS)
    query = request.GET.get("q", "").strip()
    compound_id = request.GET.get("compound")
    context: dict[str, Any] = {"query": query}
    if query:
        context["result"] = people_selectors.resident_search(
            scope=scope, actor=actor_from_request(request), query=query
        )
    elif compound_id:
        compound = place_selectors.compound_get(scope=scope, compound_id=compound_id)
        qs = (
            people_selectors.resident_list(scope=scope)
            .filter(compound=compound)
            .order_by("household__building", "household__room", "name")
        )
        context["compound"] = compound
        context["page"] = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = "web/_resident_results.html" if request.headers.get("HX-Request") else "web/residents.html"
    return render(request, template, context)


@login_required
def resident_detail(request: HttpRequest, resident_id: Any) -> HttpResponse:
    scope = _scope(request)
    resident = people_selectors.resident_open(
        scope=scope, actor=actor_from_request(request), resident_id=resident_id
    )
    return render(
        request,
        "web/resident.html",
        {
            "resident": resident,
            "tags": [t.get_tag_display() for t in resident.tags.all()],
            "household": people_selectors.household_members(resident=resident),
            "vehicles": resident.household.vehicles.all(),
            "history": people_selectors.resident_colour_history(resident=resident),
            "can_edit": scope.can(Capability.EDIT_RESIDENTS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: HttpRequest, resident_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_RESIDENTS)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    initial = {
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date,
        "phone": resident.phone,
        "building": resident.household.building,
        "room": resident.household.room,
        "tags": list(resident.tags.values_list("tag", flat=True)),
    }
    form = ResidentForm(request.POST or None, initial=initial)
    form.fields["id_number"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
        "masked": resident.id_number_masked or "—"
    }
    if request.method == "POST" and form.is_valid():
        changes = {k: form.cleaned_data[k] for k in form.changed_data if k in form.cleaned_data}
        try:
            people_services.resident_update(
                scope=scope, actor=actor_from_request(request), resident=resident, **changes
            )
            messages.success(request, _("Saved."))
            return redirect("web:resident", resident_id=resident.id)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "web/form.html", {"form": form, "title": resident.name})


@login_required
@require_http_methods(["GET", "POST"])
def resident_new(request: HttpRequest, compound_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_RESIDENTS)
    compound = place_selectors.compound_get(scope=scope, compound_id=compound_id)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resident = people_services.resident_register(
                scope=scope,
                actor=actor_from_request(request),
                compound=compound,
                name=data["name"],
                sex=data["sex"],
                birth_date=data["birth_date"],
                phone=data["phone"],
                id_number=data["id_number"],
                building=data["building"],
                room=data["room"],
                tags=data["tags"],
            )
            messages.success(request, _("Resident registered."))
            return redirect("web:resident", resident_id=resident.id)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("New resident in %(compound)s") % {"compound": compound.name},
            "back": compound,
        },
    )


@login_required
def resident_export(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    compound_id = request.GET.get("compound")
    compound = place_selectors.compound_get(scope=scope, compound_id=compound_id).id if compound_id else None
    try:
        return exports.residents_export_response(
            scope=scope,
            actor=actor_from_request(request),
            compound_id=compound,
            fmt=request.GET.get("fmt", "csv"),
        )
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")


# --- audit and self-service ---------------------------------------------------------------------


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    filters = {
        "actor": request.GET.get("actor", "")[:150],
        "object_type": request.GET.get("object_type", "")[:40],
    }
    action = request.GET.get("action") or None
    qs = audit_list(scope=scope, action=action, actor=filters["actor"], object_type=filters["object_type"])
    if qs is None:
        raise PermissionDenied
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "web/audit.html",
        {"page": page, "filters": filters, "action": action or "", "actions": AuditEntry.Action.choices},
    )


@login_required
def me(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VIEW_OWN_RECORD)
    resident = people_selectors.resident_list(scope=scope).first()
    return render(
        request,
        "web/me.html",
        {
            "resident": resident,
            "history": people_selectors.resident_colour_history(resident=resident) if resident else [],
            "access_log": people_selectors.resident_access_log(scope=scope)[:100],
        },
    )
