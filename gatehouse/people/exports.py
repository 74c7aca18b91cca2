"""Resident exports (CSV, xlsx): scoped, audited, masked, and safe to open in a spreadsheet."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.lib.spreadsheet import csv_bytes, xlsx_bytes
from gatehouse.people.selectors import resident_list

MAX_EXPORT_ROWS = 50_000


def residents_export_response(
    *, scope: Scope, actor: Actor, compound_id: uuid.UUID | None, fmt: str
) -> HttpResponse:
    if not scope.can(Capability.EXPORT_RESIDENTS):
        raise PermissionDenied(_("Your role may not export residents."))
    if fmt not in ("csv", "xlsx"):
        raise ValidationError({"fmt": [_("Choose csv or xlsx.")]})
    qs = resident_list(scope=scope).select_related("household", "compound")
    if compound_id is not None:
        qs = qs.filter(compound_id=compound_id)
    rows = [
        (
            r.name,
            r.get_sex_display(),
            r.birth_date.isoformat(),
            r.phone,
            r.id_number_masked,
            r.compound.name,
            r.household.building,
            r.household.room,
            r.get_health_colour_display(),
        )
        for r in qs.order_by("compound__name", "household__building", "household__room", "name")[
            :MAX_EXPORT_ROWS
        ]
    ]
    header = [
        _("Name"),
        _("Sex"),
        _("Birth date"),
        _("Phone"),
        _("Identity number"),
        _("Compound"),
        _("Building"),
        _("Room"),
        _("Health colour"),
    ]
    audit_record(
        actor=actor,
        action="export",
        object_type="resident",
        object_id="-",
        detail=f"{fmt}, {len(rows)} rows" + (f", compound {compound_id}" if compound_id else ""),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(_("Residents"), header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="residents-{stamp}.{fmt}"'
    return response
