"""What every app's page views share: who is asking, and refusing a role that may not."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from gatehouse.accounts.models import User
from gatehouse.core.roles import Capability, Scope


def page_scope(request: HttpRequest, capability: Capability | None = None) -> Scope:
    """The signed-in user's scope (views are behind login_required); 403 when `capability` is given
    and the role lacks it."""
    user = request.user
    assert isinstance(user, User)
    scope = user.scope
    if capability is not None:
        page_require(scope, capability)
    return scope


def page_require(scope: Scope, capability: Capability) -> None:
    if not scope.can(capability):
        raise PermissionDenied
