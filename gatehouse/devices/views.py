"""Wristband pages: the neighbourhood's stock, one wristband with its binding and readings, and the
actions on it (bind, unbind, replace, new credentials). Thin: selector, one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.roles import Capability
from gatehouse.devices import selectors, services
from gatehouse.devices.forms import BindForm, RegisterForm, ReplaceForm
from gatehouse.devices.models import Binding, Wristband
from gatehouse.web.forms import apply_service_errors
from gatehouse.web.pages import page_scope as _scope


@login_required
@require_http_methods(["GET", "POST"])
def wristband_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not scope.can(Capability.VIEW_OBSERVATION):
        raise PermissionDenied
    can_edit = scope.can(Capability.EDIT_OBSERVATION) and scope.neighbourhood_id is not None
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                band = services.wristband_register(
                    scope=scope,
                    actor=actor_from_request(request),
                    neighbourhood=selectors.neighbourhood_for_stock(scope=scope, neighbourhood_id=None),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Wristband %(serial)s registered.") % {"serial": band.serial})
                return redirect("devices:detail", band.id)
    bands = selectors.wristband_list(scope=scope, status=request.GET.get("status") or None)
    return render(
        request,
        "devices/list.html",
        {"bands": bands[:500], "form": form, "can_edit": can_edit, "status": request.GET.get("status", "")},
    )


@login_required
def wristband_detail(request: HttpRequest, wristband_id: Any, **forms: Any) -> HttpResponse:
    scope = _scope(request)
    band = selectors.wristband_get(scope=scope, wristband_id=wristband_id)
    active_list: list[Binding] = getattr(band, "active_bindings", [])
    active = active_list[0] if active_list else None
    can_edit = scope.can(Capability.EDIT_OBSERVATION)
    cases = [
        (str(c.id), f"{c.resident.masked_name} · {c.compound}")
        for c in selectors.cases_without_wristband(scope=scope)
    ]
    spares = [
        (str(b.id), b.serial)
        for b in selectors.wristband_list(scope=scope, status=Wristband.Status.IN_STOCK).filter(
            neighbourhood_id=band.neighbourhood_id
        )
    ]
    context = {
        "band": band,
        "binding": active,
        "history": selectors.binding_history(scope=scope, wristband=band)[:20],
        "readings": selectors.readings_recent(scope=scope, wristband=band),
        "can_edit": can_edit,
        "bind_form": forms.get("bind_form") or BindForm(cases=cases),
        "replace_form": forms.get("replace_form") or ReplaceForm(bands=spares),
        "secret": forms.get("secret"),
    }
    return render(request, "devices/detail.html", context, status=400 if forms.get("invalid") else 200)


@login_required
@require_POST
def wristband_action(request: HttpRequest, wristband_id: Any, action: str) -> HttpResponse:
    scope = _scope(request)
    band = selectors.wristband_get(scope=scope, wristband_id=wristband_id)
    if action not in {"bind", "unbind", "replace", "credentials"}:
        raise Http404
    if not scope.can(Capability.EDIT_OBSERVATION):
        raise PermissionDenied
    actor = actor_from_request(request)
    try:
        if action == "bind":
            cases = [(str(c.id), "") for c in selectors.cases_without_wristband(scope=scope)]
            form = BindForm(request.POST, cases=cases)
            if not form.is_valid():
                return wristband_detail(request, wristband_id, bind_form=form, invalid=True)
            try:
                services.wristband_bind(
                    scope=scope,
                    actor=actor,
                    wristband=band,
                    case=selectors.case_get(scope=scope, case_id=form.cleaned_data["case"]),
                    home_lat=form.cleaned_data["home_lat"],
                    home_lon=form.cleaned_data["home_lon"],
                    radius_m=form.cleaned_data["radius_m"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return wristband_detail(request, wristband_id, bind_form=form, invalid=True)
            messages.success(request, _("Wristband bound."))
        elif action == "unbind":
            reason = request.POST.get("reason", Binding.EndReason.UNBOUND)
            services.wristband_unbind(scope=scope, actor=actor, wristband=band, reason=reason)
            messages.success(request, _("Wristband taken off."))
        elif action == "replace":
            spares = [
                (str(b.id), b.serial)
                for b in selectors.wristband_list(scope=scope, status=Wristband.Status.IN_STOCK)
            ]
            replace_form = ReplaceForm(request.POST, bands=spares)
            if not replace_form.is_valid():
                return wristband_detail(request, wristband_id, replace_form=replace_form, invalid=True)
            replacement = selectors.wristband_get(
                scope=scope, wristband_id=replace_form.cleaned_data["replacement"]
            )
            binding = services.wristband_replace(
                scope=scope,
                actor=actor,
                wristband=band,
                replacement=replacement,
                retire_old=replace_form.cleaned_data["retire_old"],
            )
            messages.success(request, _("Wristband replaced."))
            return redirect("devices:detail", binding.wristband_id)
        else:
            band, secret = services.wristband_credentials_issue(scope=scope, actor=actor, wristband=band)
            # Shown once, in this response only; never stored in the clear.
            return wristband_detail(request, wristband_id, secret=secret)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("devices:detail", band.id)
