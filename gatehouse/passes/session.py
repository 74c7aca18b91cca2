"""Which pass the resident's phone shows: the pass page and the token API share the session binding."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from gatehouse.accounts.models import User
from gatehouse.accounts.services import PHONE_SIGNIN_SESSION_KEY
from gatehouse.core.roles import Capability
from gatehouse.passes.services import HolderPass, pass_for_holder
from gatehouse.people import selectors as people_selectors
from gatehouse.people.models import Resident

SESSION_PASS_KEY = "pass_id"


def holder_resident(request: HttpRequest) -> Resident:
    """The signed-in resident's own record; 404 for any other role or an unlinked account."""
    user = request.user
    scope = user.scope if isinstance(user, User) and user.is_authenticated else None
    if scope is None or scope.resident_id is None or not scope.can(Capability.VIEW_OWN_RECORD):
        raise Http404
    resident = people_selectors.resident_list(scope=scope, include_departed=True).first()
    if resident is None:
        raise Http404
    return resident


def holder_pass(request: HttpRequest, resident: Resident) -> HolderPass:
    """The pass this phone session may show, binding the session to it (see `pass_for_holder`)."""
    fresh = bool(request.session.pop(PHONE_SIGNIN_SESSION_KEY, False))
    holder = pass_for_holder(
        resident=resident, bound_pass_id=request.session.get(SESSION_PASS_KEY), may_reissue=fresh
    )
    # A device calling with a bearer token has no session of its own to bind.
    if holder.problem is None and holder.pass_record is not None and request.session.session_key:
        request.session[SESSION_PASS_KEY] = str(holder.pass_record.id)
    return holder
