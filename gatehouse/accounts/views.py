"""The resident's sign-in on their phone: number → one-time code → (a family: which member) → signed in.

Public pages by nature. They answer the same whether or not a number is registered.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gatehouse.accounts.forms import CodeForm, PhoneForm, add_service_errors
from gatehouse.accounts.models import SignInCode
from gatehouse.accounts.selectors import signin_code_get, signin_members
from gatehouse.accounts.services import (
    PHONE_SIGNIN_SESSION_KEY,
    signin_code_request,
    signin_code_verify,
    signin_complete,
)
from gatehouse.accounts.sms import sms_gateway
from gatehouse.lib.phones import phone_mask
from gatehouse.people.models import Resident

CODE_KEY = "signin_code_id"
PHONE_KEY = "signin_phone_masked"
NEXT_KEY = "signin_next"
# By name, so accounts imports nothing of the apps above it; the pass page is what residents come for.
AFTER_SIGNIN = "passes:mine"


def _after_signin(request: HttpRequest) -> str:
    target = str(request.session.get(NEXT_KEY) or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    try:
        return reverse(AFTER_SIGNIN)
    except NoReverseMatch:
        return reverse(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    enabled = sms_gateway().enabled
    if request.method == "GET" and request.GET.get("next"):
        request.session[NEXT_KEY] = request.GET["next"][:300]
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and enabled and form.is_valid():
        typed = form.cleaned_data["phone"]
        try:
            challenge = signin_code_request(phone=typed, ip_address=request.META.get("REMOTE_ADDR"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[CODE_KEY] = str(challenge.id)
            request.session[PHONE_KEY] = phone_mask(re.sub(r"\D", "", typed)[-11:])
            return redirect("accounts:signin_code")
    return render(request, "accounts/signin.html", {"form": form, "enabled": enabled})


def _sign_in(request: HttpRequest, challenge: SignInCode, resident: Resident) -> HttpResponse:
    try:
        user = signin_complete(challenge=challenge, resident=resident)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:signin")
    target = _after_signin(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    for key in (CODE_KEY, PHONE_KEY, NEXT_KEY):
        request.session.pop(key, None)
    request.session[PHONE_SIGNIN_SESSION_KEY] = True
    return redirect(target)


@require_http_methods(["GET", "POST"])
def signin_code(request: HttpRequest) -> HttpResponse:
    code_id = request.session.get(CODE_KEY)
    if not code_id:
        return redirect("accounts:signin")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = signin_code_verify(code_id=code_id, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            members = list(signin_members(challenge=challenge))
            if len(members) == 1:
                return _sign_in(request, challenge, members[0])
            if members:
                return redirect("accounts:signin_choose")
            gone = _("Nobody registered with this number lives here any more.")
            ask = _("Ask your neighbourhood committee.")
            form.add_error(None, f"{gone} {ask}")
    return render(
        request,
        "accounts/signin_code.html",
        {
            "form": form,
            "phone": request.session.get(PHONE_KEY, ""),
            "minutes": max(1, settings.SIGNIN_CODE_TTL_SECONDS // 60),
        },
    )


@require_http_methods(["GET", "POST"])
def signin_choose(request: HttpRequest) -> HttpResponse:
    challenge = signin_code_get(code_id=request.session.get(CODE_KEY))
    members = signin_members(challenge=challenge) if challenge else Resident.objects.none()
    if challenge is None or not members.exists():
        messages.error(request, _("The code is no longer valid. Ask for a new one."))
        return redirect("accounts:signin")
    if request.method == "POST":
        try:
            chosen = members.filter(id=request.POST.get("resident", "")).first()
        except (ValueError, ValidationError):
            chosen = None
        if chosen is None:
            raise Http404
        return _sign_in(request, challenge, chosen)
    return render(request, "accounts/signin_choose.html", {"members": members})
