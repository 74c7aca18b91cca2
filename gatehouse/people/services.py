"""Writes to households, residents and vehicles.

Personal data rules live here: identity numbers are validated, encrypted and hashed before they
touch a model, and never reach a log line or an error message in the clear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.lib import crypto
from gatehouse.lib.identity import (
    identity_number_birth_date,
    identity_number_is_male,
    identity_number_mask,
    identity_number_normalise,
)
from gatehouse.lib.phones import phone_normalise
from gatehouse.lib.plates import plate_is_new_energy, plate_normalise
from gatehouse.people.models import (
    HealthColour,
    HealthColourChange,
    Household,
    Resident,
    ResidentTag,
    Vehicle,
)
from gatehouse.places.models import Compound

ID_CONTEXT = "resident.id_number"


def identity_number_lookup_hash(number: str) -> str:
    return crypto.lookup_hash(number, context=ID_CONTEXT)


def _require(scope: Scope, capability: Capability) -> None:
    if not scope.can(capability):
        raise PermissionDenied(_("Your role may not do this."))


def _identity_fields(raw: str) -> dict[str, Any]:
    try:
        number = identity_number_normalise(raw)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    return {
        "id_number_ciphertext": crypto.encrypt_text(number, context=ID_CONTEXT),
        "id_number_hash": identity_number_lookup_hash(number),
        "id_number_masked": identity_number_mask(number),
        "_birth_date": identity_number_birth_date(number),
        "_male": identity_number_is_male(number),
    }


def _clean_phone(raw: str) -> str:
    if not raw:
        return ""
    try:
        return phone_normalise(raw)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None


def household_get_or_create(*, compound: Compound, building: str, room: str) -> Household:
    building, room = building.strip(), room.strip()
    errors = {}
    if not building:
        errors["building"] = [_("Enter the building.")]
    if not room:
        errors["room"] = [_("Enter the room.")]
    if errors:
        raise ValidationError(errors)
    household, _created = Household.objects.get_or_create(compound=compound, building=building, room=room)
    return household


def resident_register(
    *,
    scope: Scope,
    actor: Actor,
    compound: Compound,
    building: str,
    room: str,
    name: str,
    sex: str = "",
    birth_date: dt.date | None = None,
    phone: str = "",
    id_number: str = "",
    tags: list[str] | None = None,
) -> Resident:
    """Register a resident. `compound` must come from a scoped selector.

    With an identity number, birth date and sex come from it (a mismatch is an error); without one
    both must be given.
    """
    _require(scope, Capability.EDIT_RESIDENTS)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the name.")]
    elif len(name) > 40:
        errors["name"] = [_("A name has at most 40 characters.")]
    identity: dict[str, Any] = {}
    try:
        phone = _clean_phone(phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if id_number:
        try:
            identity = _identity_fields(id_number)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if identity:
        if birth_date is not None and birth_date != identity["_birth_date"]:
            errors["birth_date"] = [_("The birth date differs from the one in the identity number.")]
        derived_sex = Resident.Sex.MALE if identity["_male"] else Resident.Sex.FEMALE
        if sex and sex != derived_sex:
            errors["sex"] = [_("The sex differs from the one in the identity number.")]
        birth_date, sex = identity["_birth_date"], derived_sex
    else:
        if birth_date is None and "id_number" not in errors:
            errors["birth_date"] = [_("Enter the birth date or the identity number.")]
        if sex not in Resident.Sex.values and "id_number" not in errors:
            errors["sex"] = [_("Choose the sex.")]
    if birth_date is not None and birth_date > timezone.localdate():
        errors["birth_date"] = [_("The birth date is in the future.")]
    bad_tags = [t for t in tags or [] if t not in ResidentTag.Tag.values]
    if bad_tags:
        errors["tags"] = [_("Unknown tag.")]
    if errors:
        raise ValidationError(errors)

    assert birth_date is not None
    with transaction.atomic():
        household = household_get_or_create(compound=compound, building=building, room=room)
        resident = Resident(
            household=household,
            compound=compound,
            name=name,
            phone=phone,
            birth_date=birth_date,
            sex=sex,
            **{k: v for k, v in identity.items() if not k.startswith("_")},
        )
        # Uniqueness is the database's to decide (a race is caught below), with the field named.
        resident.full_clean(
            exclude=["id_number_ciphertext"], validate_unique=False, validate_constraints=False
        )
        try:
            with transaction.atomic():
                resident.save(force_insert=True)
        except IntegrityError:
            raise ValidationError(
                {"id_number": [_("A resident with this identity number is already registered.")]}
            ) from None
        ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in set(tags or [])])
        audit_record(
            actor=actor,
            action="create",
            object_type="resident",
            object_id=resident.id,
            subject_resident_id=resident.id,
        )
    return resident


RESIDENT_EDITABLE = {"name", "phone", "birth_date", "sex", "id_number", "building", "room", "tags"}


def resident_update(*, scope: Scope, actor: Actor, resident: Resident, **changes: Any) -> Resident:
    """Change a resident's details. `resident` must come from a scoped selector."""
    _require(scope, Capability.EDIT_RESIDENTS)
    unknown = set(changes) - RESIDENT_EDITABLE
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            errors["name"] = [_("Enter the name.")]
        elif len(name) > 40:
            errors["name"] = [_("A name has at most 40 characters.")]
        elif name != resident.name:
            resident.name = name
            changed.append("name")
    if "phone" in changes:
        try:
            phone = _clean_phone(changes["phone"] or "")
            if phone != resident.phone:
                resident.phone = phone
                changed.append("phone")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if changes.get("id_number"):
        try:
            identity = _identity_fields(changes["id_number"])
            if identity["id_number_hash"] != resident.id_number_hash:
                for key in ("id_number_ciphertext", "id_number_hash", "id_number_masked"):
                    setattr(resident, key, identity[key])
                resident.birth_date = identity["_birth_date"]
                resident.sex = Resident.Sex.MALE if identity["_male"] else Resident.Sex.FEMALE
                changed.append("id_number")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "id_number" not in changed:
        if changes.get("birth_date") and changes["birth_date"] != resident.birth_date:
            if resident.id_number_hash:
                errors["birth_date"] = [_("The birth date comes from the identity number.")]
            elif changes["birth_date"] > timezone.localdate():
                errors["birth_date"] = [_("The birth date is in the future.")]
            else:
                resident.birth_date = changes["birth_date"]
                changed.append("birth_date")
        if changes.get("sex") and changes["sex"] != resident.sex:
            if resident.id_number_hash:
                errors["sex"] = [_("The sex comes from the identity number.")]
            elif changes["sex"] not in Resident.Sex.values:
                errors["sex"] = [_("Choose the sex.")]
            else:
                resident.sex = changes["sex"]
                changed.append("sex")
    new_tags: set[str] | None = None
    if "tags" in changes:
        new_tags = set(changes["tags"] or [])
        if new_tags - set(ResidentTag.Tag.values):
            errors["tags"] = [_("Unknown tag.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        if "building" in changes or "room" in changes:
            household = household_get_or_create(
                compound=resident.compound,
                building=changes.get("building", resident.household.building),
                room=changes.get("room", resident.household.room),
            )
            if household.id != resident.household_id:
                resident.household = household
                changed.append("address")
        if new_tags is not None:
            old_tags = set(resident.tags.values_list("tag", flat=True))
            if new_tags != old_tags:
                resident.tags.filter(tag__in=old_tags - new_tags).delete()
                ResidentTag.objects.bulk_create(
                    [ResidentTag(resident=resident, tag=t) for t in new_tags - old_tags]
                )
                changed.append("tags")
        if not changed:
            return resident
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError:
            raise ValidationError(
                {"id_number": [_("A resident with this identity number is already registered.")]}
            ) from None
        audit_record(
            actor=actor,
            action="update",
            object_type="resident",
            object_id=resident.id,
            subject_resident_id=resident.id,
            detail="changed: " + ", ".join(sorted(changed)),
        )
    return resident


def resident_move_out(*, scope: Scope, actor: Actor, resident: Resident, deceased: bool = False) -> Resident:
    """Mark a resident as gone; the record is purged after the district's retention period."""
    _require(scope, Capability.EDIT_RESIDENTS)
    if resident.status != Resident.Status.ACTIVE:
        raise ValidationError({"status": [_("This resident no longer lives here.")]})
    with transaction.atomic():
        resident.status = Resident.Status.DECEASED if deceased else Resident.Status.MOVED_OUT
        resident.left_at = timezone.now()
        resident.save(update_fields=["status", "left_at", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            object_type="resident",
            object_id=resident.id,
            subject_resident_id=resident.id,
            detail=f"status: {resident.status}",
        )
    return resident


def resident_health_colour_set(
    *, actor: Actor, resident: Resident, colour: str, reason: str, note: str = ""
) -> Resident:
    """The only way a pass colour changes: with a recorded reason the holder can read."""
    if colour not in HealthColour.values:
        raise ValidationError({"colour": [_("Unknown colour.")]})
    if reason not in HealthColourChange.Reason.values:
        raise ValidationError({"reason": [_("Choose a reason.")]})
    if reason == HealthColourChange.Reason.OFFICER_DECISION and not note.strip():
        raise ValidationError({"note": [_("An officer's decision needs a note saying why.")]})
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(id=resident.id)
        now = timezone.now()
        HealthColourChange.objects.create(
            resident=locked,
            at=now,
            from_colour=locked.health_colour,
            to_colour=colour,
            reason=reason,
            note=note[:200],
            actor_label=actor.label,
        )
        locked.health_colour = colour
        locked.health_colour_reason = str(HealthColourChange.Reason(reason).label) + (
            f": {note[:150]}" if note else ""
        )
        locked.health_colour_changed_at = now
        locked.save(
            update_fields=["health_colour", "health_colour_reason", "health_colour_changed_at", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="update",
            object_type="resident",
            object_id=locked.id,
            subject_resident_id=locked.id,
            detail=f"colour: {colour} ({reason})",
        )
    resident.health_colour = locked.health_colour
    resident.health_colour_reason = locked.health_colour_reason
    resident.health_colour_changed_at = locked.health_colour_changed_at
    return resident


def vehicle_register(*, scope: Scope, actor: Actor, household: Household, plate: str) -> Vehicle:
    _require(scope, Capability.EDIT_RESIDENTS)
    try:
        normalised = plate_normalise(plate)
    except ValidationError as exc:
        raise ValidationError({"plate": exc.messages}) from None
    if Vehicle.objects.filter(plate=normalised).exists():
        raise ValidationError({"plate": [_("This plate is already registered.")]})
    with transaction.atomic():
        vehicle = Vehicle.objects.create(
            plate=normalised,
            household=household,
            compound=household.compound,
            new_energy=plate_is_new_energy(normalised),
        )
        audit_record(actor=actor, action="create", object_type="vehicle", object_id=vehicle.id)
    return vehicle


def residents_purge_departed(*, now: dt.datetime | None = None, batch: int = 1000) -> int:
    """Delete residents who left longer ago than their district keeps records. Run by the worker."""
    from gatehouse.places.models import District

    now = now or timezone.now()
    purged = 0
    for district in District.objects.all():
        cutoff = now - dt.timedelta(days=district.moved_out_retention_days)
        while True:
            ids = list(
                Resident.objects.filter(
                    compound__neighbourhood__street__district=district,
                    status__in=[Resident.Status.MOVED_OUT, Resident.Status.DECEASED],
                    left_at__lt=cutoff,
                ).values_list("id", flat=True)[:batch]
            )
            if not ids:
                break
            with transaction.atomic():
                purged += _purge_residents(ids)
    return purged


def _purge_residents(ids: list[uuid.UUID]) -> int:
    from gatehouse.core.audit import SYSTEM

    for resident_id in ids:
        audit_record(
            actor=SYSTEM,
            action="delete",
            object_type="resident",
            object_id=resident_id,
            subject_resident_id=resident_id,
            detail="retention period ended",
        )
    deleted, _ = Resident.objects.filter(id__in=ids).delete()
    return len(ids) if deleted else 0
