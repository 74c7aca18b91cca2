"""The alert board (live: the page polls a fingerprint and redraws only on change), one alert with
its evidence and timeline, and the actions: take, assign, resolve with a note."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gatehouse.accounts.services import actor_from_request
from gatehouse.alerts import selectors, services
from gatehouse.alerts.forms import AlertResolveForm
from gatehouse.alerts.links import alert_links
from gatehouse.alerts.models import Alert
from gatehouse.core.roles import Capability, Scope
from gatehouse.web.pages import page_scope

BOARD_LIMIT = 200
NEW_FOR_SECONDS = 60


def _scope(request: HttpRequest) -> Scope:
    return page_scope(request, Capability.VIEW_ALERTS)


def _board_context(scope: Scope, status: str) -> dict[str, Any]:
    rows = list(selectors.alert_board(scope=scope, status=status)[:BOARD_LIMIT])
    now = timezone.now()
    for alert in rows:
        alert.is_new = (now - alert.raised_at).total_seconds() < NEW_FOR_SECONDS  # type: ignore[attr-defined]
    counts = selectors.alert_list(scope=scope, status="unresolved").aggregate(
        open=Count("id", filter=Q(status=Alert.Status.OPEN)),
        taken=Count("id", filter=Q(status=Alert.Status.ACKNOWLEDGED)),
        escalated=Count("id", filter=~Q(level=Alert.Level.NEIGHBOURHOOD)),
    )
    return {
        "alerts": rows,
        "status": status,
        "counts": counts,
        "can_handle": scope.can(Capability.HANDLE_ALERTS),
        "version": selectors.alert_board_version(scope=scope, status=status),
    }


def _status(request: HttpRequest) -> str:
    status = request.GET.get("status", "unresolved")
    return status if status in ("unresolved", "resolved") else "unresolved"


@login_required
def board(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    status = _status(request)
    if request.headers.get("HX-Request"):
        # The poll: 204 leaves the page as it is (htmx swaps nothing), so an idle board costs two
        # small aggregate queries every few seconds instead of a full redraw.
        if request.GET.get("v") == selectors.alert_board_version(scope=scope, status=status):
            return HttpResponse(status=204)
        return render(request, "alerts/_board.html", _board_context(scope, status))
    return render(request, "alerts/board.html", _board_context(scope, status))


@login_required
def detail(request: HttpRequest, alert_id: Any) -> HttpResponse:
    scope = _scope(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    can_handle = scope.can(Capability.HANDLE_ALERTS)
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "events": selectors.alert_events(alert=alert),
            "evidence": list(reversed(alert.evidence))[:20],
            "links": alert_links(alert, scope),
            "can_handle": can_handle,
            "assignees": selectors.alert_assignees(alert=alert) if can_handle else [],
            "resolve_form": AlertResolveForm(),
        },
    )


@login_required
@require_POST
def action(request: HttpRequest, alert_id: Any, action: str) -> HttpResponse:
    scope = _scope(request)
    alert = selectors.alert_get(scope=scope, alert_id=alert_id)
    actor = actor_from_request(request)
    if action not in ("acknowledge", "resolve", "assign"):
        raise Http404
    try:
        if action == "acknowledge":
            services.alert_acknowledge(scope=scope, actor=actor, alert=alert)
        elif action == "assign":
            username = request.POST.get("username", "")
            assignee = next(
                (u for u in selectors.alert_assignees(alert=alert) if u.username == username), None
            )
            if assignee is None:
                raise ValidationError({"assignee": [_("This person cannot handle this alert.")]})
            services.alert_assign(scope=scope, actor=actor, alert=alert, assignee=assignee)
        else:
            form = AlertResolveForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"note": form.errors.get("note", [_("Say how it was resolved.")])})
            services.alert_resolve(scope=scope, actor=actor, alert=alert, note=form.cleaned_data["note"])
            messages.success(request, _("Alert resolved."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return render(request, "alerts/_board.html", _board_context(scope, "unresolved"))
    if request.POST.get("back") == "detail":
        return redirect("alerts:detail", alert_id=alert.id)
    return redirect("alerts:board")
