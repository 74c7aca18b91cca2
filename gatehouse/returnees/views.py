"""Returnee pages: the resident's own registration, the neighbourhood's list and registration, and
the district's key areas."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.roles import Capability
from gatehouse.people import selectors as people_selectors
from gatehouse.places.selectors import district_for_scope
from gatehouse.returnees import selectors, services
from gatehouse.returnees.forms import ReturneeForm
from gatehouse.returnees.models import ReturneeRegistration
from gatehouse.web.forms import apply_service_errors
from gatehouse.web.pages import page_require as _need
from gatehouse.web.pages import page_scope as _scope


@login_required
def registration_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VIEW_RESIDENTS)
    rows = selectors.registration_list(scope=scope)[:200]
    query = request.GET.get("q", "").strip()[:64]
    found = (
        people_selectors.resident_search(
            scope=scope, actor=actor_from_request(request), query=query
        ).residents
        if query and scope.can(Capability.EDIT_RESIDENTS)
        else []
    )
    return render(request, "returnees/list.html", {"rows": rows, "query": query, "found": found})


@login_required
@require_http_methods(["GET", "POST"])
def register_for(request: HttpRequest, resident_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_RESIDENTS)
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    form = ReturneeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.returnee_register(
                actor=actor_from_request(request),
                resident=resident,
                answers=form.answers(),
                via=ReturneeRegistration.Via.WORKER,
            )
            messages.success(
                request,
                _("Registered: %(c)s until %(d)s.")
                % {"c": registration.get_classification_display(), "d": registration.ends_on},
            )
            return redirect("returnees:list")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "returnees/register.html", {"form": form, "who": resident.name})


@login_required
@require_http_methods(["GET", "POST"])
def register_me(request: HttpRequest) -> HttpResponse:
    """The link a resident opens on their phone before (or after) arriving."""
    scope = _scope(request)
    _need(scope, Capability.VIEW_OWN_RECORD)
    resident = people_selectors.resident_list(scope=scope).first()
    if resident is None:
        raise Http404
    form = ReturneeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.returnee_register(
                actor=actor_from_request(request),
                resident=resident,
                answers=form.answers(),
                via=ReturneeRegistration.Via.SELF,
            )
            return render(request, "returnees/done.html", {"registration": registration})
        except ValidationError as exc:
            apply_service_errors(form, exc)
    mine = selectors.registration_list(scope=scope)[:5]
    return render(request, "returnees/register.html", {"form": form, "who": resident.name, "mine": mine})


@login_required
@require_http_methods(["GET", "POST"])
def key_areas(request: HttpRequest) -> HttpResponse:
    from gatehouse.returnees.forms import KeyAreaForm

    scope = _scope(request)
    _need(scope, Capability.EDIT_POLICIES)
    district = district_for_scope(scope=scope)
    if district is None:
        raise Http404
    form = KeyAreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.key_area_add(
                scope=scope, actor=actor_from_request(request), district=district, **form.cleaned_data
            )
            messages.success(request, _("Key area added."))
            return redirect("returnees:key_areas")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    areas = selectors.key_area_list(scope=scope)
    return render(request, "returnees/key_areas.html", {"form": form, "areas": areas, "district": district})


@login_required
@require_POST
def key_area_delete(request: HttpRequest, area_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.EDIT_POLICIES)
    area = selectors.key_area_get(scope=scope, area_id=area_id)
    services.key_area_remove(scope=scope, actor=actor_from_request(request), area=area)
    messages.success(request, _("Key area removed."))
    return redirect("returnees:key_areas")
