"""The audit trail over the API: district command browses and filters; nobody edits."""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from gatehouse.api.base import ApiDateTime, scope_of
from gatehouse.core.models import AuditEntry
from gatehouse.core.selectors import audit_list

router = Router(tags=["audit"])


class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor_label: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    subject_resident_id: uuid.UUID | None
    detail: str
    ip_address: str | None
    entry_hash: str


class AuditFilter(Schema):
    actor: str = Field("", max_length=150)
    action: AuditEntry.Action | None = None
    object_type: str = Field("", max_length=40)
    subject_resident_id: uuid.UUID | None = None
    since: ApiDateTime | None = None
    until: ApiDateTime | None = None


@router.get("", response=list[AuditOut])
@paginate
def audit(request: HttpRequest, filters: Query[AuditFilter]) -> QuerySet[AuditEntry]:
    scope = scope_of(request)
    qs = audit_list(scope=scope, **filters.model_dump())
    if qs is None:
        raise PermissionDenied(_("Only district command reads the audit trail."))
    return qs
