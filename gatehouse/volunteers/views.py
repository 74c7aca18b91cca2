"""Pages for officers (volunteers, rosters, coverage, demand, patrol routes) and for the volunteer's
own phone (shifts, check-in by scanning the gate poster, patrol tags). Each view parses, reads
through a scoped selector (404 outside), calls one service, renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.roles import Capability, Scope
from gatehouse.places.models import Gate
from gatehouse.places.selectors import regime_for_compound
from gatehouse.volunteers import periods as P
from gatehouse.volunteers import qr, selectors, services
from gatehouse.volunteers.forms import (
    AccountForm,
    AssignForm,
    CheckInForm,
    CheckpointForm,
    DateOffForm,
    RouteForm,
    StaffingForm,
    VolunteerForm,
    WindowForm,
)
from gatehouse.volunteers.models import Roster, Skill, Slot
from gatehouse.web.forms import apply_service_errors
from gatehouse.web.pages import page_require as _need
from gatehouse.web.pages import page_scope as _scope


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _week(request: HttpRequest) -> dt.date:
    raw = request.GET.get("week") or request.POST.get("week") or ""
    try:
        week = P.week_monday(dt.date.fromisoformat(raw[:10]))
    except ValueError:
        return P.week_of(timezone.now())
    return week if P.week_in_range(week) else P.week_of(timezone.now())


def _week_nav(week: dt.date) -> dict[str, Any]:
    return {
        "week": week,
        "week_end": week + dt.timedelta(days=6),
        "prev_week": week - dt.timedelta(days=7),
        "next_week": week + dt.timedelta(days=7),
        "this_week": P.week_of(timezone.now()),
    }


# --- volunteers -------------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope.can(Capability.VOLUNTEER_DUTY) and not scope.can(Capability.MANAGE_VOLUNTEERS):
        return redirect("volunteers:my_shifts")
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    query = request.GET.get("q", "").strip()[:40]
    volunteers = selectors.volunteer_list(scope=scope)
    if query:
        volunteers = volunteers.filter(name__contains=query)
    rows = []
    for volunteer in volunteers[:500]:
        why_not = services.ineligible_reason(volunteer)
        rows.append(
            {
                "volunteer": volunteer,
                "why_not": why_not,
                "why_not_label": services.ineligible_label(why_not) if why_not else "",
            }
        )
    return render(
        request,
        "volunteers/index.html",
        {
            "rows": rows,
            "query": query,
            "streets": selectors.street_list(scope=scope),
            "neighbourhoods": selectors.neighbourhood_list(scope=scope)[:50],
            "can_plan": scope.can(Capability.PLAN_ROSTERS),
        },
    )


def _volunteer_form(scope: Scope, data: Any = None, initial: dict[str, Any] | None = None) -> VolunteerForm:
    return VolunteerForm(
        data,
        initial=initial,
        neighbourhoods=selectors.neighbourhood_list(scope=scope),
        organisations=selectors.organisation_list(scope=scope),
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    form = _volunteer_form(scope, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            volunteer = services.volunteer_register(
                scope=scope,
                actor=actor_from_request(request),
                neighbourhood=data["neighbourhood"],
                name=data["name"],
                phone=data["phone"],
                kind=data["kind"],
                organisation=data["organisation"],
                skills=data["skills"],
                max_hours_week=data["max_hours_week"],
                trained_on=data["trained_on"],
            )
            messages.success(request, _("Volunteer registered. Now add when they are free."))
            return redirect("volunteers:detail", volunteer_id=volunteer.id)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "web/form.html", {"form": form, "title": _("New volunteer")})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, volunteer_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    initial = {
        "name": volunteer.name,
        "phone": volunteer.phone,
        "neighbourhood": volunteer.neighbourhood,
        "kind": volunteer.kind,
        "organisation": volunteer.organisation,
        "skills": volunteer.skills,
        "max_hours_week": volunteer.max_hours_week,
        "trained_on": volunteer.trained_on,
    }
    form = _volunteer_form(scope, request.POST or None, initial=initial)
    form.fields["neighbourhood"].disabled = True
    if request.method == "POST" and form.is_valid():
        changes = {
            k: form.cleaned_data[k]
            for k in form.changed_data
            if k in form.cleaned_data and k != "neighbourhood"
        }
        try:
            services.volunteer_update(
                scope=scope, actor=actor_from_request(request), volunteer=volunteer, **changes
            )
            messages.success(request, _("Saved."))
            return redirect("volunteers:detail", volunteer_id=volunteer.id)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "web/form.html", {"form": form, "title": volunteer.name})


@login_required
def detail(request: HttpRequest, volunteer_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    now = timezone.now()
    offered = services.availability_hours(volunteer)
    why_not = services.ineligible_reason(volunteer)
    return render(
        request,
        "volunteers/detail.html",
        {
            "volunteer": volunteer,
            "windows": volunteer.availability.all(),
            "dates_off": volunteer.dates_off.filter(date__gte=timezone.localdate()),
            "shifts": selectors.my_shifts(volunteer=volunteer, now=now),
            "offered_hours": offered,
            "limit_unreachable": offered < volunteer.max_hours_week,
            "why_not": services.ineligible_label(why_not) if why_not else "",
            "window_form": WindowForm(),
            "date_off_form": DateOffForm(),
            "account_form": AccountForm(),
            "skills": [Skill(s).label for s in volunteer.skills if s in Skill.values],
        },
    )


@login_required
@require_POST
def volunteer_action(request: HttpRequest, volunteer_id: Any, action: str) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    volunteer = selectors.volunteer_get(scope=scope, volunteer_id=volunteer_id)
    actor = actor_from_request(request)
    back = redirect("volunteers:detail", volunteer_id=volunteer.id)
    try:
        if action == "availability_add":
            form = WindowForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            services.availability_add(scope=scope, actor=actor, volunteer=volunteer, **form.cleaned_data)
            messages.success(request, _("Window added."))
        elif action == "availability_delete":
            window = selectors.availability_get(
                scope=scope, volunteer=volunteer, window_id=request.POST.get("id", "")
            )
            services.availability_remove(scope=scope, actor=actor, window=window)
        elif action == "date_off_add":
            day_form = DateOffForm(request.POST)
            if not day_form.is_valid():
                raise ValidationError(day_form.errors.as_data())
            _off, released = services.date_off_add(
                scope=scope, actor=actor, volunteer=volunteer, **day_form.cleaned_data
            )
            messages.success(request, _("Day off added; %(n)s shifts offered again.") % {"n": len(released)})
        elif action == "date_off_delete":
            day_off = selectors.date_off_get(volunteer=volunteer, day_off_id=request.POST.get("id", ""))
            services.date_off_remove(scope=scope, actor=actor, day_off=day_off)
        elif action == "remove":
            released = services.volunteer_remove(scope=scope, actor=actor, volunteer=volunteer)
            messages.success(
                request,
                _("%(name)s is off the roster; %(n)s shifts offered again and the week is being re-solved.")
                % {"name": volunteer.name, "n": len(released)},
            )
        elif action == "fever_clear":
            services.volunteer_fever_clear(scope=scope, actor=actor, volunteer=volunteer)
            messages.success(request, _("Fever cleared; the volunteer may be rostered again."))
        elif action == "account":
            account_form = AccountForm(request.POST)
            if not account_form.is_valid():
                raise ValidationError(account_form.errors.as_data())
            services.volunteer_account_create(
                scope=scope, actor=actor, volunteer=volunteer, **account_form.cleaned_data
            )
            messages.success(request, _("Phone login created."))
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return back


# --- rosters and coverage ---------------------------------------------------------------------------


def _coverage_context(request: HttpRequest, scope: Scope, week: dt.date, **place: Any) -> dict[str, Any]:
    cover = selectors.coverage(scope=scope, week=week, now=timezone.now(), **place)
    return {
        "cover": cover,
        "period_labels": [f"{P.start_hour(k):02d}" for k in range(P.PERIODS_PER_DAY)],
        "chart": cover.chart,
        **_week_nav(week),
    }


@login_required
def street_roster(request: HttpRequest, street_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    street = selectors.street_get(scope=scope, street_id=street_id)
    week = _week(request)
    roster = selectors.roster_get(scope=scope, street=street, week=week)
    context = _coverage_context(request, scope, week, street=street)
    context.update(
        {
            "street": street,
            "roster": roster,
            "can_plan": scope.can(Capability.PLAN_ROSTERS),
            "neighbourhoods": street.neighbourhoods.all(),
            "ineligible": [
                (services.ineligible_label(k), v)
                for k, v in ((roster.solve_report or {}).get("ineligible", {}) if roster else {}).items()
            ],
        }
    )
    return render(request, "volunteers/roster.html", context)


@login_required
def roster_status(request: HttpRequest, street_id: Any) -> HttpResponse:
    """The solver's progress, polled by the roster page while it runs."""
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    street = selectors.street_get(scope=scope, street_id=street_id)
    week = _week(request)
    roster = selectors.roster_get(scope=scope, street=street, week=week)
    response = render(
        request,
        "volunteers/_roster_status.html",
        {"roster": roster, "street": street, "week": week, "can_plan": scope.can(Capability.PLAN_ROSTERS)},
    )
    if (
        roster is not None
        and roster.solve_status == Roster.SolveStatus.DONE
        and request.GET.get("was")
        in (
            "requested",
            "solving",
        )
    ):
        response["HX-Refresh"] = "true"  # the plan changed under the page: show it
    return response


@login_required
@require_POST
def roster_solve(request: HttpRequest, street_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    street = selectors.street_get(scope=scope, street_id=street_id)
    week = _week(request)
    try:
        services.roster_solve_request(
            scope=scope, actor=actor_from_request(request), street=street, week=week
        )
        messages.success(request, _("The solver is working on the week; this page follows it."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(reverse("volunteers:street_roster", args=[street.id]) + f"?week={week.isoformat()}")


@login_required
@require_POST
def roster_repair(request: HttpRequest, street_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    street = selectors.street_get(scope=scope, street_id=street_id)
    week = _week(request)
    roster = selectors.roster_get(scope=scope, street=street, week=week)
    if roster is None:
        raise Http404
    outcome = services.roster_repair(roster=roster, actor=actor_from_request(request))
    messages.success(
        request,
        _("Roster checked: %(released)s assignments released, %(cancelled)s slots cancelled.") % outcome,
    )
    return redirect(reverse("volunteers:street_roster", args=[street.id]) + f"?week={week.isoformat()}")


@login_required
def neighbourhood_coverage(request: HttpRequest, neighbourhood_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    neighbourhood = selectors.neighbourhood_get(scope=scope, neighbourhood_id=neighbourhood_id)
    week = _week(request)
    context = _coverage_context(request, scope, week, neighbourhood=neighbourhood)
    context["neighbourhood"] = neighbourhood
    return render(request, "volunteers/coverage.html", context)


@login_required
def slot(request: HttpRequest, slot_id: Any) -> HttpResponse:
    """One slot's people, with lock, release and assign-by-hand for planners."""
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    the_slot = selectors.slot_get(scope=scope, slot_id=slot_id)
    can_plan = scope.can(Capability.PLAN_ROSTERS)
    assign_form = None
    if can_plan:
        assign_form = AssignForm(
            volunteers=selectors.volunteer_list(scope=scope).filter(
                neighbourhood__street_id=the_slot.roster.street_id
            )
        )
    context = {
        "slot": the_slot,
        "assignments": the_slot.assignments.select_related("volunteer").order_by("status", "volunteer__name"),
        "can_plan": can_plan,
        "assign_form": assign_form,
        "reason": selectors.reason_text(the_slot.uncovered_reason) if the_slot.uncovered_reason else "",
    }
    template = "volunteers/_slot.html" if request.headers.get("HX-Request") else "volunteers/slot.html"
    return render(request, template, context)


@login_required
@require_POST
def slot_assign(request: HttpRequest, slot_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    the_slot = selectors.slot_get(scope=scope, slot_id=slot_id)
    form = AssignForm(request.POST, volunteers=selectors.volunteer_list(scope=scope))
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        services.assignment_assign(
            scope=scope,
            actor=actor_from_request(request),
            slot=the_slot,
            volunteer=form.cleaned_data["volunteer"],
        )
        messages.success(request, _("Assigned and locked."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("volunteers:slot", slot_id=the_slot.id)


@login_required
@require_POST
def assignment_action(request: HttpRequest, assignment_id: Any, action: str) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    assignment = selectors.assignment_get(scope=scope, assignment_id=assignment_id)
    actor = actor_from_request(request)
    try:
        if action in ("lock", "unlock"):
            services.assignment_lock(scope=scope, actor=actor, assignment=assignment, locked=action == "lock")
        elif action == "release":
            services.assignment_release(scope=scope, actor=actor, assignment=assignment)
            messages.success(request, _("Released; the slot is offered again."))
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("volunteers:slot", slot_id=assignment.slot_id)


# --- demand: gates, posters, patrol routes ----------------------------------------------------------


@login_required
def gates(request: HttpRequest, street_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    street = selectors.street_get(scope=scope, street_id=street_id)
    rows = []
    for gate in selectors.gate_list(scope=scope, street=street):
        staffing = getattr(gate, "staffing", None)
        day, night = services.gate_demand(gate, regime_for_compound(gate.compound), staffing)
        rows.append(
            {"gate": gate, "day": day, "night": night, "own": staffing is not None, "staffing": staffing}
        )
    return render(
        request,
        "volunteers/gates.html",
        {
            "street": street,
            "rows": rows,
            "can_plan": scope.can(Capability.PLAN_ROSTERS),
            "form": StaffingForm(),
        },
    )


@login_required
@require_POST
def gate_staffing(request: HttpRequest, gate_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    gate = selectors.gate_for_planning(scope=scope, gate_id=gate_id)
    form = StaffingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        data = form.cleaned_data
        if request.POST.get("reset"):
            data = {"staff_day": None, "staff_night": None, "note": ""}
        services.gate_staffing_set(scope=scope, actor=actor_from_request(request), gate=gate, **data)
        messages.success(request, _("Saved. Rosters pick it up when next solved or repaired."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("volunteers:gates", street_id=gate.compound.neighbourhood.street_id)


def _gate_url(request: HttpRequest, gate: Gate) -> str:
    return request.build_absolute_uri(reverse("volunteers:scan_gate", args=[qr.gate_code(gate.id)]))


@login_required
def gate_poster(request: HttpRequest, gate_id: Any) -> HttpResponse:
    """A printable poster for one gate: scanning it opens the check-in page."""
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    gate = selectors.gate_for_planning(scope=scope, gate_id=gate_id)
    url = _gate_url(request, gate)
    return render(
        request, "volunteers/poster.html", {"gate": gate, "url": url, "svg": qr.qr_svg(url, scale=8)}
    )


@login_required
def gate_posters_pdf(request: HttpRequest, street_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.PLAN_ROSTERS)
    street = selectors.street_get(scope=scope, street_id=street_id)
    labels = [
        qr.Label(
            title=f"{g.compound.name} · {g.name}",
            subtitle=_("Volunteers: scan to check in"),
            url=_gate_url(request, g),
        )
        for g in selectors.gate_list(scope=scope, street=street).exclude(status=Gate.Status.SEALED)
    ]
    pdf = qr.labels_pdf(labels, heading=_("%(street)s: gate check-in posters") % {"street": street.name_zh})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="gate-posters.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def routes(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    compounds = selectors.compound_list(scope=scope).filter(compound_class__in=services.PATROL_CLASSES)
    form = RouteForm(request.POST or None, compounds=compounds)
    if request.method == "POST":
        _need(scope, Capability.PLAN_ROSTERS)
        if form.is_valid():
            data = form.cleaned_data
            try:
                route = services.patrol_route_create(
                    scope=scope,
                    actor=actor_from_request(request),
                    compound=data["compound"],
                    name=data["name"],
                    every_hours=data["every_hours"],
                    at_night=data["at_night"],
                    round_minutes=data["round_minutes"],
                    checkpoints=data["checkpoints"].splitlines(),
                )
                messages.success(request, _("Route created. Print its tags and put them up."))
                return redirect("volunteers:route", route_id=route.id)
            except ValidationError as exc:
                apply_service_errors(form, exc)
    return render(
        request,
        "volunteers/routes.html",
        {
            "routes": selectors.route_list(scope=scope),
            "form": form,
            "can_plan": scope.can(Capability.PLAN_ROSTERS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def route(request: HttpRequest, route_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    the_route = selectors.route_get(scope=scope, route_id=route_id)
    form = CheckpointForm(request.POST or None)
    if request.method == "POST":
        _need(scope, Capability.PLAN_ROSTERS)
        if form.is_valid():
            try:
                services.checkpoint_add(
                    scope=scope,
                    actor=actor_from_request(request),
                    route=the_route,
                    name=form.cleaned_data["name"],
                )
                return redirect("volunteers:route", route_id=the_route.id)
            except ValidationError as exc:
                _errors(request, exc)
    now = timezone.now()
    rounds = []
    for s in (
        Slot.objects.filter(route=the_route, starts_at__lte=now, status=Slot.Status.ACTIVE)
        .select_related("route")
        .order_by("-starts_at")[:12]
    ):
        result = s.round_result or services.patrol_round_result(s)
        rounds.append({"slot": s, "result": result})
    return render(
        request,
        "volunteers/route.html",
        {
            "route": the_route,
            "checkpoints": the_route.checkpoints.all(),
            "form": form,
            "rounds": rounds,
            "can_plan": scope.can(Capability.PLAN_ROSTERS),
        },
    )


@login_required
def route_tags_pdf(request: HttpRequest, route_id: Any) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.MANAGE_VOLUNTEERS)
    the_route = selectors.route_get(scope=scope, route_id=route_id)
    labels = [
        qr.Label(
            title=f"{c.position}. {c.name}",
            subtitle=str(the_route),
            url=request.build_absolute_uri(reverse("volunteers:scan_tag", args=[qr.checkpoint_code(c.id)])),
        )
        for c in the_route.checkpoints.all()
    ]
    pdf = qr.labels_pdf(labels, heading=_("Patrol check-point tags: %(route)s") % {"route": the_route})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="patrol-tags.pdf"'
    return response


# --- the volunteer's phone --------------------------------------------------------------------------


@login_required
def my_shifts(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VOLUNTEER_DUTY)
    volunteer = selectors.volunteer_self(scope=scope)
    now = timezone.now()
    shifts = list(selectors.my_shifts(volunteer=volunteer, now=now))
    on_duty = [a for a in shifts if a.checked_in_at and not a.checked_out_at]
    return render(
        request,
        "volunteers/me.html",
        {
            "volunteer": volunteer,
            "shifts": shifts,
            "on_duty": on_duty[0] if on_duty else None,
            "open_shifts": selectors.open_shifts(volunteer=volunteer, now=now)
            if volunteer.fever_at is None
            else [],
            "date_off_form": DateOffForm(),
            "fever_form": CheckInForm(),
            "early": services.CHECK_IN_EARLY,
            "now": now,
        },
    )


@login_required
@require_POST
def my_action(request: HttpRequest, action: str) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VOLUNTEER_DUTY)
    volunteer = selectors.volunteer_self(scope=scope)
    actor = actor_from_request(request)
    try:
        if action == "check_out":
            services.shift_check_out(volunteer=volunteer)
            messages.success(request, _("Checked out. Thank you for your shift!"))
        elif action == "take":
            candidates = {
                str(s.id): s
                for s in selectors.open_shifts(volunteer=volunteer, now=timezone.now(), limit=200)
            }
            chosen = candidates.get(request.POST.get("slot", ""))
            if chosen is None:
                raise ValidationError({"slot": [_("This shift is no longer open.")]})
            services.assignment_take(volunteer=volunteer, slot=chosen)
            messages.success(request, _("The shift is yours."))
        elif action == "fever":
            fever_form = CheckInForm(request.POST)
            if not fever_form.is_valid():
                raise ValidationError(fever_form.errors.as_data())
            services.volunteer_fever_declare(
                volunteer=volunteer,
                temperature=fever_form.cleaned_data["temperature"],
                now=timezone.now(),
                actor=actor,
            )
            messages.success(
                request, _("Rest well. Your coming shifts go to others; your officer has been told.")
            )
        elif action == "date_off":
            form = DateOffForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            _off, released = services.date_off_add(actor=actor, volunteer=volunteer, **form.cleaned_data)
            messages.success(
                request, _("Day off noted; %(n)s of your shifts go to others.") % {"n": len(released)}
            )
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("volunteers:my_shifts")


@login_required
@require_http_methods(["GET", "POST"])
def scan_gate(request: HttpRequest, code: str) -> HttpResponse:
    """What the gate poster's QR opens: the check-in page with the volunteer's own temperature."""
    scope = _scope(request)
    _need(scope, Capability.VOLUNTEER_DUTY)
    volunteer = selectors.volunteer_self(scope=scope)
    gate_id = qr.gate_id_from_code(code)
    gate = selectors.gate_for_check_in(gate_id) if gate_id else None
    if gate is None:
        raise Http404
    form = CheckInForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.shift_check_in(
                volunteer=volunteer, gate=gate, temperature=form.cleaned_data["temperature"]
            )
            if outcome.ok:
                messages.success(request, outcome.message)
                return redirect("volunteers:my_shifts")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "volunteers/scan_gate.html", {"gate": gate, "form": form, "outcome": outcome})


@login_required
@require_http_methods(["GET", "POST"])
def scan_tag(request: HttpRequest, code: str) -> HttpResponse:
    scope = _scope(request)
    _need(scope, Capability.VOLUNTEER_DUTY)
    volunteer = selectors.volunteer_self(scope=scope)
    checkpoint_id = qr.checkpoint_id_from_code(code)
    checkpoint = selectors.checkpoint_for_scan(checkpoint_id) if checkpoint_id else None
    if checkpoint is None:
        raise Http404
    result = None
    error = ""
    if request.method == "POST":
        try:
            result = services.patrol_scan(volunteer=volunteer, checkpoint=checkpoint)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(
        request, "volunteers/scan_tag.html", {"checkpoint": checkpoint, "result": result, "error": error}
    )
