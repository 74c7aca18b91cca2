"""Pages: the due-now worklist, cases, follow-ups, closing with a release notice, and the resident's
own daily report. Each view parses, reads through a scoped selector (404 out of reach), calls one
service, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.roles import Capability
from gatehouse.observation import selectors, services
from gatehouse.observation.forms import (
    CaseCloseForm,
    CaseOpenForm,
    FollowUpForm,
    ReportForm,
)
from gatehouse.observation.models import ObservationCase
from gatehouse.people import selectors as people_selectors
from gatehouse.web.forms import apply_service_errors
from gatehouse.web.pages import page_scope as _scope


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Capability.VIEW_OBSERVATION)
    return render(
        request,
        "observation/worklist.html",
        {
            "worklist": selectors.worklist(scope=scope),
            "now": timezone.now(),
            "can_edit": scope.can(Capability.EDIT_OBSERVATION),
        },
    )


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Capability.VIEW_OBSERVATION)
    status = request.GET.get("status", ObservationCase.Status.ACTIVE)
    if status not in ObservationCase.Status.values:
        status = ObservationCase.Status.ACTIVE
    page = Paginator(selectors.case_list(scope=scope, status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "observation/cases.html",
        {
            "page": page,
            "status": status,
            "statuses": ObservationCase.Status.choices,
            "can_edit": scope.can(Capability.EDIT_OBSERVATION),
        },
    )


@login_required
def case_detail(request: HttpRequest, case_id: Any) -> HttpResponse:
    scope = _scope(request, Capability.VIEW_OBSERVATION)
    case = selectors.case_open_record(scope=scope, actor=actor_from_request(request), case_id=case_id)
    return render(
        request,
        "observation/case.html",
        {
            "case": case,
            "follow_ups": selectors.follow_up_list(case=case)[:100],
            "can_edit": scope.can(Capability.EDIT_OBSERVATION),
            "close_form": CaseCloseForm(),
            "now": timezone.now(),
            "release_possible": case.ends_on <= timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Capability.EDIT_OBSERVATION)
    resident_id = request.GET.get("resident") or request.POST.get("resident")
    if not resident_id:
        query = request.GET.get("q", "").strip()[:64]
        result = (
            people_selectors.resident_search(scope=scope, actor=actor_from_request(request), query=query)
            if query
            else None
        )
        return render(request, "observation/case_new.html", {"query": query, "result": result})
    resident = people_selectors.resident_for_edit(scope=scope, resident_id=resident_id)
    form = CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                scope=scope,
                actor=actor_from_request(request),
                resident=resident,
                kind=data["kind"],
                reason=data["reason"],
                starts_on=data["starts_on"],
                days=data["days"],
            )
            messages.success(request, _("Case opened."))
            return redirect("observation:case", case_id=case.id)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "observation/case_new.html", {"form": form, "resident": resident})


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, case_id: Any) -> HttpResponse:
    scope = _scope(request, Capability.EDIT_OBSERVATION)
    case = selectors.case_get(scope=scope, case_id=case_id)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.follow_up_record(
                scope=scope,
                actor=actor_from_request(request),
                case=case,
                method=data["method"],
                temperature_c=data["temperature_c"],
                symptoms=data["symptoms"],
                needs=data["needs"],
                note=data["note"],
            )
            messages.success(request, _("Follow-up of %(name)s recorded.") % {"name": case.resident.name})
            return redirect("observation:worklist")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "observation/follow_up.html", {"form": form, "case": case})


@login_required
@require_POST
def case_close(request: HttpRequest, case_id: Any) -> HttpResponse:
    scope = _scope(request, Capability.EDIT_OBSERVATION)
    case = selectors.case_get(scope=scope, case_id=case_id)
    form = CaseCloseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"status": [_("Choose how the case ends.")]})
        services.case_close(
            scope=scope,
            actor=actor_from_request(request),
            case=case,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Case closed."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("observation:case", case_id=case.id)


@login_required
def release_notice(request: HttpRequest, case_id: Any) -> HttpResponse:
    scope = _scope(request, Capability.VIEW_OBSERVATION)
    case = selectors.case_get(scope=scope, case_id=case_id)
    try:
        pdf = services.release_notice_export(actor=actor_from_request(request), case=case)
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="release-notice-{case.id}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def self_report(request: HttpRequest) -> HttpResponse:
    scope = _scope(request, Capability.VIEW_OWN_RECORD)
    case = selectors.own_active_case(scope=scope)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and case is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.self_report_submit(
                scope=scope,
                actor=actor_from_request(request),
                case=case,
                temperature_c=data["temperature_c"],
                symptoms=data["symptoms"],
                needs=data["needs"],
                note=data["note"],
            )
            messages.success(request, _("Thank you: today's report is in."))
            return redirect("observation:self_report")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    today = timezone.localdate()
    reports = list(selectors.follow_up_list(case=case)[:30]) if case else []
    return render(
        request,
        "observation/self_report.html",
        {
            "case": case,
            "form": form,
            "reports": reports,
            "reported_today": any(
                timezone.localdate(r.at) == today for r in reports if r.method == "self_report"
            ),
        },
    )
