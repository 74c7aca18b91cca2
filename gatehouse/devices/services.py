"""Wristband writes: registering, credentials, binding to a case, unbinding, replacing; and the
entry points for telemetry (the MQTT ingester and the HTTP endpoint share one pipeline).

Every registry change is one transaction with one audit row. Binding changes touch the
wristband's `updated_at`, which is how running ingesters notice them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.core.audit import SYSTEM, Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.devices import credentials, rules
from gatehouse.devices.models import Binding, Telemetry, Wristband, serial_validator
from gatehouse.devices.pipeline import REJECTED, BatchResult, Incoming, Outcome, Pipeline
from gatehouse.devices.protocol import Reason
from gatehouse.observation.models import ObservationCase
from gatehouse.places.models import District, Neighbourhood

logger = logging.getLogger("gatehouse.devices")
PARTITION_NAME = re.compile(r"devices_telemetry_p(\d{8})")


def _require_edit(scope: Scope) -> None:
    if not scope.can(Capability.EDIT_OBSERVATION):
        raise PermissionDenied(_("Your role may not manage wristbands."))


def _in_reach(scope: Scope, neighbourhood: Neighbourhood) -> bool:
    return Neighbourhood.objects.filter(
        scope.place_q(to_neighbourhood="", to_street="street"), id=neighbourhood.id
    ).exists()


def wristband_register(
    *,
    scope: Scope,
    actor: Actor,
    neighbourhood: Neighbourhood,
    serial: str,
    model: str,
    firmware: str = "",
) -> Wristband:
    """Add a wristband to a neighbourhood's stock."""
    _require_edit(scope)
    if not _in_reach(scope, neighbourhood):
        raise PermissionDenied(_("This neighbourhood is not in your area."))
    serial = (serial or "").strip().upper()
    try:
        serial_validator(serial)
    except ValidationError as exc:
        raise ValidationError({"serial": exc.messages}) from None
    model = (model or "").strip()
    if not model:
        raise ValidationError({"model": [_("Give the wristband model.")]})
    if len(model) > 40:
        raise ValidationError({"model": [_("At most 40 characters.")]})
    if len(firmware) > 40:
        raise ValidationError({"firmware": [_("At most 40 characters.")]})
    with transaction.atomic():
        try:
            with transaction.atomic():
                wristband = Wristband.objects.create(
                    serial=serial, model=model, firmware=firmware.strip(), neighbourhood=neighbourhood
                )
        except IntegrityError:
            raise ValidationError(
                {"serial": [_("A wristband with this serial is already registered.")]}
            ) from None
        audit_record(
            actor=actor, action="create", object_type="wristband", object_id=wristband.id, detail=serial
        )
    return wristband


def wristband_credentials_issue(*, scope: Scope, actor: Actor, wristband: Wristband) -> tuple[Wristband, str]:
    """A new secret for the wristband's broker login and HTTP token; returned once, never stored.

    The old secret stops working on the HTTP endpoint at once, and on the broker when the password
    file is next generated (`manage.py mosquitto_config`).
    """
    _require_edit(scope)
    secret = credentials.secret_new()
    with transaction.atomic():
        locked = Wristband.objects.select_for_update().get(id=wristband.id)
        locked.secret_hash = credentials.secret_hash(secret)
        locked.broker_hash = credentials.mosquitto_hash(secret)
        locked.credentials_issued_at = timezone.now()
        locked.save(update_fields=["secret_hash", "broker_hash", "credentials_issued_at", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            object_type="wristband",
            object_id=locked.id,
            detail="credentials issued",
        )
    return locked, secret


def _coordinate(value: object, field: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Must be a number.")]}) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError(
            {field: [_("Must be between %(low)s and %(high)s.") % {"low": -limit, "high": limit}]}
        )
    return number


def wristband_bind(
    *,
    scope: Scope,
    actor: Actor,
    wristband: Wristband,
    case: ObservationCase,
    home_lat: object,
    home_lon: object,
    radius_m: int = 50,
    now: dt.datetime | None = None,
) -> Binding:
    """Put the wristband on the person of `case` (both already scoped by the caller)."""
    _require_edit(scope)
    lat = _coordinate(home_lat, "home_lat", 90)
    lon = _coordinate(home_lon, "home_lon", 180)
    if not isinstance(radius_m, int) or isinstance(radius_m, bool) or not 10 <= radius_m <= 1000:
        raise ValidationError({"radius_m": [_("The geofence radius must be between 10 and 1000 metres.")]})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Wristband.objects.select_for_update().select_related("neighbourhood").get(id=wristband.id)
        case = ObservationCase.objects.select_related("compound").get(id=case.id)
        if case.status != ObservationCase.Status.ACTIVE:
            raise ValidationError({"case_id": [_("This case is closed.")]})
        if case.compound.neighbourhood_id != locked.neighbourhood_id:
            raise ValidationError({"case_id": [_("The wristband belongs to another neighbourhood.")]})
        if locked.status == Wristband.Status.RETIRED:
            raise ValidationError({"wristband": [_("This wristband is retired.")]})
        if locked.status == Wristband.Status.BOUND:
            raise ValidationError({"wristband": [_("This wristband is already bound.")]})
        try:
            with transaction.atomic():
                binding = Binding.objects.create(
                    wristband=locked,
                    case=case,
                    compound=case.compound,
                    home_lat=lat,
                    home_lon=lon,
                    radius_m=radius_m,
                    bound_at=now,
                    # A wristband that never speaks after binding is silent too.
                    silent_after=now + rules.SILENCE,
                )
        except IntegrityError:
            raise ValidationError({"case_id": [_("This case already has a wristband.")]}) from None
        locked.status = Wristband.Status.BOUND
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="create",
            object_type="wristband_binding",
            object_id=binding.id,
            subject_resident_id=case.resident_id,
            detail=f"{locked.serial} bound, radius {radius_m} m",
        )
    return binding


def _end(*, actor: Actor, binding: Binding, reason: str, now: dt.datetime, retire: bool = False) -> Binding:
    binding.status = Binding.Status.ENDED
    binding.ended_at = now
    binding.end_reason = reason
    binding.silent_after = None
    binding.save(update_fields=["status", "ended_at", "end_reason", "silent_after", "updated_at"])
    wristband = binding.wristband
    wristband.status = Wristband.Status.RETIRED if retire else Wristband.Status.IN_STOCK
    wristband.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="wristband_binding",
        object_id=binding.id,
        subject_resident_id=binding.case.resident_id,
        detail=f"{wristband.serial} unbound: {reason}",
    )
    return binding


def _active_binding(wristband: Wristband) -> Binding:
    binding = (
        Binding.objects.select_for_update()
        .select_related("wristband", "case")
        .filter(wristband=wristband, status=Binding.Status.ACTIVE)
        .first()
    )
    if binding is None:
        raise ValidationError({"wristband": [_("This wristband is not bound.")]})
    return binding


def wristband_unbind(
    *, scope: Scope, actor: Actor, wristband: Wristband, reason: str = Binding.EndReason.UNBOUND
) -> Binding:
    """Take the wristband off: at release, or because it is faulty (then it is retired)."""
    _require_edit(scope)
    if reason not in (Binding.EndReason.UNBOUND, Binding.EndReason.FAULTY):
        raise ValidationError({"reason": [_("Choose why the wristband comes off.")]})
    with transaction.atomic():
        binding = _active_binding(wristband)
        return _end(
            actor=actor,
            binding=binding,
            reason=reason,
            now=timezone.now(),
            retire=reason == Binding.EndReason.FAULTY,
        )


def wristband_replace(
    *, scope: Scope, actor: Actor, wristband: Wristband, replacement: Wristband, retire_old: bool = False
) -> Binding:
    """Move the case from `wristband` to `replacement`, keeping home and geofence (both scoped)."""
    _require_edit(scope)
    if replacement.id == wristband.id:
        raise ValidationError({"replacement_id": [_("Choose another wristband.")]})
    now = timezone.now()
    with transaction.atomic():
        old = _active_binding(wristband)
        new_band = Wristband.objects.select_for_update().get(id=replacement.id)
        if new_band.neighbourhood_id != old.wristband.neighbourhood_id:
            raise ValidationError({"replacement_id": [_("The wristband belongs to another neighbourhood.")]})
        if new_band.status != Wristband.Status.IN_STOCK:
            raise ValidationError({"replacement_id": [_("The replacement must be in stock.")]})
        _end(actor=actor, binding=old, reason=Binding.EndReason.REPLACED, now=now, retire=retire_old)
        binding = Binding.objects.create(
            wristband=new_band,
            case=old.case,
            compound=old.compound,
            home_lat=old.home_lat,
            home_lon=old.home_lon,
            radius_m=old.radius_m,
            bound_at=now,
            silent_after=now + rules.SILENCE,
        )
        new_band.status = Wristband.Status.BOUND
        new_band.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="create",
            object_type="wristband_binding",
            object_id=binding.id,
            subject_resident_id=old.case.resident_id,
            detail=f"{new_band.serial} replaces {old.wristband.serial}",
        )
    return binding


def bindings_end_for_closed_cases(*, now: dt.datetime) -> int:
    """Worker job: a released or transferred person's wristband stops counting as theirs."""
    ended = 0
    stale = Binding.objects.filter(status=Binding.Status.ACTIVE).exclude(
        case__status=ObservationCase.Status.ACTIVE
    )
    for binding_id in list(stale.values_list("id", flat=True)[:500]):
        with transaction.atomic():
            binding = (
                Binding.objects.select_for_update(skip_locked=True)
                .select_related("wristband", "case")
                .filter(id=binding_id, status=Binding.Status.ACTIVE)
                .first()
            )
            if binding is None:
                continue  # another worker took it
            _end(actor=SYSTEM, binding=binding, reason=Binding.EndReason.CASE_CLOSED, now=now)
            ended += 1
    return ended


# --- telemetry ---------------------------------------------------------------------------------------


def telemetry_ingest_http(*, wristband: Wristband, readings: list[Any]) -> BatchResult:
    """Store a batch a device sent over HTTP (the device is already authenticated by its token)."""
    now = timezone.now()
    items = [
        Incoming(
            serial=wristband.serial, payload=reading if isinstance(reading, dict) else {}, received_at=now
        )
        for reading in readings
    ]
    result = Pipeline(lazy_write_seconds=0).process(items)
    for index, reading in enumerate(readings):
        if not isinstance(reading, dict):
            result.outcomes[index] = Outcome(REJECTED, Reason.NOT_AN_OBJECT)
    rejected = [o.reason for o in result.outcomes if o.status == REJECTED]
    if rejected:
        logger.warning(
            "rejected %d readings from %s over HTTP: %s",
            len(rejected),
            wristband.serial,
            sorted(set(rejected)),
        )
    return result


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _partitions() -> dict[str, dt.date]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'devices_telemetry'"
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        match = PARTITION_NAME.fullmatch(name)
        if match:
            found[name] = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
    return found


def telemetry_partitions_ensure(*, now: dt.datetime, days_ahead: int = 3) -> int:
    """PostgreSQL: one partition per local day, from yesterday to `days_ahead` days ahead.

    Readings that landed in the DEFAULT partition for a day without one are moved into it.
    Safe in two workers at once: the loser of a race rolls back and finds the partition there.
    """
    if connection.vendor != "postgresql":
        return 0
    today = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    existing = _partitions()
    created = 0
    for offset in range(-1, days_ahead + 1):
        day = today + dt.timedelta(days=offset)
        name = f"devices_telemetry_p{day:%Y%m%d}"
        if name in existing:
            continue
        start, end = _local_midnight(day), _local_midnight(day + dt.timedelta(days=1))
        bounds = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM devices_telemetry_default"
                    " WHERE recorded_at >= %s AND recorded_at < %s LIMIT 1",
                    [start, end],
                )
                if cursor.fetchone() is None:
                    cursor.execute(f"CREATE TABLE {name} PARTITION OF devices_telemetry FOR VALUES {bounds}")
                else:
                    cursor.execute(f"CREATE TABLE {name} (LIKE devices_telemetry INCLUDING DEFAULTS)")
                    cursor.execute(
                        f"WITH moved AS (DELETE FROM devices_telemetry_default WHERE recorded_at >= %s"  # noqa: S608
                        f" AND recorded_at < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                        [start, end],
                    )
                    cursor.execute(
                        f"ALTER TABLE devices_telemetry ATTACH PARTITION {name} FOR VALUES {bounds}"
                    )
            created += 1
        except DatabaseError:
            if name not in _partitions():
                raise
    return created


def telemetry_purge(*, now: dt.datetime) -> int:
    """Forget readings older than each district's retention. On PostgreSQL whole days go at once:
    partitions older than the longest retention are dropped; shorter retentions delete rows."""
    policies = list(District.objects.values_list("id", "telemetry_retention_days"))
    if not policies:
        return 0
    purged = 0
    today = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    if connection.vendor == "postgresql":
        longest = max(days for _, days in policies)
        oldest_kept = today - dt.timedelta(days=longest)
        for name, day in sorted(_partitions().items(), key=lambda item: item[1]):
            if day < oldest_kept:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {name}")
                purged += 1
    for district_id, days in policies:
        cutoff = _local_midnight(today - dt.timedelta(days=days))
        deleted, _ = Telemetry.objects.filter(
            recorded_at__lt=cutoff, device__neighbourhood__street__district_id=district_id
        ).delete()
        purged += deleted
    return purged


def bindings_silence_check(*, now: dt.datetime, limit: int = 500) -> int:
    """Worker job: raise WRISTBAND_SILENT for each binding past its `silent_after` deadline.

    The ingester moves the deadline lazily (about once a minute), so a due row is first checked
    against the newest stored reading and, if that is recent, its deadline is moved instead.
    Each row is claimed with a compare-and-set on its deadline, in the same transaction as the
    alert: two workers never both act, and a crash never claims a row without its alert.
    """
    raised = 0
    due = list(
        Binding.objects.filter(status=Binding.Status.ACTIVE, silent_after__lte=now)
        .order_by("silent_after")
        .values_list("id", "silent_after", "wristband_id", "bound_at")[:limit]
    )
    for binding_id, deadline, wristband_id, bound_at in due:
        last = (
            Telemetry.objects.filter(device_id=wristband_id)
            .order_by("-seq")
            .values_list("received_at", flat=True)
            .first()
        )
        heard = last if last is not None and last >= bound_at else None
        claim = Binding.objects.filter(id=binding_id, status=Binding.Status.ACTIVE, silent_after=deadline)
        if heard is not None and not rules.silent(heard, bound_at, now):
            claim.update(silent_after=heard + rules.SILENCE)
            continue
        with transaction.atomic():
            if not claim.update(silent_after=None):
                continue  # another worker, or a fresh message, got there first
            binding = Binding.objects.select_related(
                "wristband", "case__resident", "compound__neighbourhood__street__district"
            ).get(id=binding_id)
            with translation.override(settings.LANGUAGE_CODE):
                title = _("%(name)s: wristband silent since %(time)s") % {
                    "name": binding.case.resident.masked_name,
                    "time": timezone.localtime(heard or bound_at).strftime("%H:%M"),
                }
            alert_raise(
                kind=Alert.Kind.WRISTBAND_SILENT,
                severity=Alert.Severity.MEDIUM,
                neighbourhood=binding.compound.neighbourhood,
                compound=binding.compound,
                subject=binding.case.resident,
                title=title,
                dedupe_key=f"wristband:{binding.case_id}:{Alert.Kind.WRISTBAND_SILENT}",
                evidence={
                    "serial": binding.wristband.serial,
                    "last_heard": heard.isoformat() if heard else None,
                    "silent_minutes": round(((now - (heard or bound_at)).total_seconds()) / 60),
                },
                at=now,
            )
            raised += 1
    return raised
