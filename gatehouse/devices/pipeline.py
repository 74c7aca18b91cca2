"""The telemetry pipeline: validate, deduplicate, store in bulk, run the rules, raise alerts.

One `Pipeline` lives in each ingester process (and one per HTTP request). It keeps, per wristband,
the binding it needs for the rules and the last ten minutes of readings, so the hot path runs one
INSERT per batch and touches other tables only when a rule fires or a lazy write is due.

`process()` runs in one transaction; the caller acknowledges the messages only after it returns,
so a crash before the commit means the broker redelivers, and the unique key stores each reading
once. Rules run only on rows that were actually inserted, so a redelivery never raises twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise
from gatehouse.devices import rules
from gatehouse.devices.models import Binding, Telemetry, Wristband
from gatehouse.devices.protocol import Reading, Reason, parse_reading, reading_from_dict
from gatehouse.observation.models import ObservationCase
from gatehouse.places.models import District

logger = logging.getLogger("gatehouse.devices.ingest")

STORED = "stored"
DUPLICATE = "duplicate"
REJECTED = "rejected"

# Per-device flood guard, measured on the device's own clock so a backlog sent after a network
# outage (readings spread over hours) passes, while a burst of fresh readings does not.
FLOOD_BURST = 120
FLOOD_RATE_PER_S = 1.0
NEGATIVE_CACHE_S = 10.0
SQLITE_CHUNK = 500

SEVERITY = {
    rules.EXIT: Alert.Severity.HIGH,
    rules.FEVER: Alert.Severity.HIGH,
    rules.REMOVED: Alert.Severity.MEDIUM,
    rules.BATTERY: Alert.Severity.LOW,
}


@dataclass(slots=True)
class Incoming:
    """One message as it arrived: the serial from the topic (or token), raw bytes or a parsed dict."""

    serial: str | None
    payload: bytes | dict[str, Any]
    received_at: dt.datetime
    tag: Any = None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    reason: str = ""


OK_STORED = Outcome(STORED)
OK_DUPLICATE = Outcome(DUPLICATE)


@dataclass(slots=True)
class DeviceState:
    id: uuid.UUID
    serial: str
    district_id: uuid.UUID
    binding_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    fence: rules.Fence | None = None
    fever_line_c: float = 37.3
    max_seq: int | None = None
    ts_at_max: dt.datetime | None = None
    window: list[Reading] = field(default_factory=list)
    tokens: float = FLOOD_BURST
    tokens_ts: dt.datetime | None = None
    written_at: float = -1e18
    battery_pct: int | None = None


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    alerts: int = 0

    def counts(self) -> Counter[str]:
        counter: Counter[str] = Counter()
        for outcome in self.outcomes:
            counter[outcome.reason or outcome.status] += 1
        return counter


class Pipeline:
    def __init__(
        self,
        *,
        district_code: str | None = None,
        lazy_write_seconds: float = 60.0,
        load_windows: bool = True,
    ) -> None:
        self.district_id: uuid.UUID | None = None
        if district_code:
            self.district_id = District.objects.values_list("id", flat=True).get(code=district_code)
        self.lazy_write_seconds = lazy_write_seconds
        self.load_windows = load_windows
        self.devices: dict[str, DeviceState] = {}
        self.unknown: dict[str, float] = {}
        self._seen_changes_at = timezone.now()

    # --- cache -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything in memory (after a failed batch: memory may be ahead of the database)."""
        self.devices.clear()
        self.unknown.clear()

    def refresh(self) -> int:
        """Drop devices whose wristband, binding or district policy changed since the last call."""
        since = self._seen_changes_at - dt.timedelta(seconds=2)  # clock skew between processes
        self._seen_changes_at = timezone.now()
        if District.objects.filter(updated_at__gte=since).exists():
            dropped = len(self.devices)
            self.reset()
            return dropped
        changed = list(Wristband.objects.filter(updated_at__gte=since).values_list("serial", flat=True))
        for serial in changed:
            self.devices.pop(serial, None)
            self.unknown.pop(serial, None)
        return len(changed)

    def _load(self, serials: set[str], now: dt.datetime) -> None:
        mono = time.monotonic()
        wanted = {s for s in serials if self.unknown.get(s, 0.0) < mono}
        if not wanted:
            return
        found: dict[str, DeviceState] = {}
        for band in Wristband.objects.filter(serial__in=wanted).values(
            "id", "serial", "neighbourhood__street__district_id", "last_seq", "last_recorded_at"
        ):
            found[band["serial"]] = DeviceState(
                id=band["id"],
                serial=band["serial"],
                district_id=band["neighbourhood__street__district_id"],
                max_seq=band["last_seq"],
                ts_at_max=band["last_recorded_at"],
            )
        by_id = {state.id: state for state in found.values()}
        bindings = Binding.objects.filter(
            wristband_id__in=list(by_id),
            status=Binding.Status.ACTIVE,
            case__status=ObservationCase.Status.ACTIVE,
        ).values(
            "id",
            "wristband_id",
            "case_id",
            "home_lat",
            "home_lon",
            "radius_m",
            "compound__neighbourhood__street__district__fever_line_c",
        )
        for b in bindings:
            state = by_id[b["wristband_id"]]
            state.binding_id, state.case_id = b["id"], b["case_id"]
            state.fence = rules.Fence(float(b["home_lat"]), float(b["home_lon"]), float(b["radius_m"]))
            state.fever_line_c = float(b["compound__neighbourhood__street__district__fever_line_c"])
        if self.load_windows:
            bound = {s.case_id: s for s in by_id.values() if s.case_id is not None}
            if bound:
                recent = (
                    Telemetry.objects.filter(
                        device_id__in=[s.id for s in bound.values()],
                        case_id__in=list(bound),
                        recorded_at__gte=now - rules.WINDOW,
                    )
                    .order_by("recorded_at", "seq")
                    .values_list("case_id", *READING_FIELDS)
                )
                for case_id, *values in recent:
                    if case_id is not None:
                        bound[case_id].window.append(Reading(*values))
                for state in bound.values():
                    state.window = state.window[-rules.MAX_WINDOW :]
        self.devices.update(found)
        for serial in wanted - found.keys():
            self.unknown[serial] = mono + NEGATIVE_CACHE_S

    # --- the batch ---------------------------------------------------------------------------------

    def process(self, items: Sequence[Incoming]) -> BatchResult:
        """Validate, store and evaluate `items` in one transaction; one outcome per item."""
        now = timezone.now()
        outcomes: list[Outcome | None] = [None] * len(items)
        parsed: list[tuple[int, str, Reading]] = []
        for index, item in enumerate(items):
            if item.serial is None:
                outcomes[index] = Outcome(REJECTED, Reason.BAD_TOPIC)
                continue
            if isinstance(item.payload, dict):
                result = reading_from_dict(item.payload, now=item.received_at)
            else:
                result = parse_reading(item.payload, now=item.received_at)
            if isinstance(result, str):
                outcomes[index] = Outcome(REJECTED, result)
            else:
                parsed.append((index, item.serial, result))
        missing = {serial for _, serial, _ in parsed if serial not in self.devices}
        if missing:
            self._load(missing, now)

        rows: list[tuple[int, DeviceState, Reading]] = []
        for index, serial, reading in parsed:
            reason = self._admit(serial, reading)
            if reason:
                outcomes[index] = Outcome(REJECTED, reason)
            else:
                rows.append((index, self.devices[serial], reading))

        alerts = 0
        with transaction.atomic():
            inserted = self._insert(rows, items)
            fresh: list[tuple[DeviceState, Reading]] = []
            for index, state, reading in rows:
                key = (state.id, reading.seq, reading.recorded_at)
                if key in inserted:
                    inserted.discard(key)  # a second copy in the same batch is a duplicate
                    outcomes[index] = OK_STORED
                    fresh.append((state, reading))
                else:
                    outcomes[index] = OK_DUPLICATE
            fresh.sort(key=lambda pair: (pair[1].recorded_at, pair[1].seq))
            touched: dict[str, DeviceState] = {}
            for state, reading in fresh:
                touched[state.serial] = state
                if reading.battery_pct is not None:
                    state.battery_pct = reading.battery_pct
                assert state.fence is not None
                state.window, hits = rules.evaluate(
                    state.window, reading, fence=state.fence, fever_line_c=state.fever_line_c
                )
                for hit in hits:
                    self._raise(state, hit, now)
                    alerts += 1
            self._write_state(touched.values(), now)
        return BatchResult(
            [o if o is not None else Outcome(REJECTED, Reason.STORE_ERROR) for o in outcomes], alerts
        )

    def _admit(self, serial: str, reading: Reading) -> str:
        state = self.devices.get(serial)
        if state is None:
            return Reason.UNKNOWN_SERIAL
        if self.district_id is not None and state.district_id != self.district_id:
            return Reason.OTHER_DISTRICT
        if state.binding_id is None:
            return Reason.NOT_BOUND
        if state.max_seq is not None and state.ts_at_max is not None:
            if reading.seq == state.max_seq:
                return "" if reading.recorded_at == state.ts_at_max else Reason.SEQ_REUSED
            if reading.seq < state.max_seq:
                # An older seq with an older timestamp is a late or redelivered reading; an older
                # seq with a newer timestamp is a device whose counter went back (a reset).
                return "" if reading.recorded_at < state.ts_at_max else Reason.SEQ_BACKWARDS
        if state.tokens_ts is not None:
            elapsed = (reading.recorded_at - state.tokens_ts).total_seconds()
            if elapsed > 0:
                state.tokens = min(FLOOD_BURST, state.tokens + elapsed * FLOOD_RATE_PER_S)
        if state.tokens < 1:
            return Reason.RATE_LIMITED
        state.tokens -= 1
        if state.tokens_ts is None or reading.recorded_at > state.tokens_ts:
            state.tokens_ts = reading.recorded_at
        state.max_seq, state.ts_at_max = reading.seq, reading.recorded_at
        return ""

    # --- storage -----------------------------------------------------------------------------------

    def _insert(
        self, rows: list[tuple[int, DeviceState, Reading]], items: Sequence[Incoming]
    ) -> set[tuple[uuid.UUID, int, dt.datetime]]:
        if not rows:
            return set()
        if connection.vendor == "postgresql":
            return _insert_postgres(rows, items)
        return _insert_sqlite(rows, items)

    def _write_state(self, states: Iterable[DeviceState], now: dt.datetime) -> None:
        # A device's first reading is always written: its binding may be waiting to be re-armed
        # after a silence (a silence is ten minutes, far longer than the lazy interval).
        mono = time.monotonic()
        due = [s for s in states if mono - s.written_at >= self.lazy_write_seconds]
        if not due:
            return
        deadline = now + rules.SILENCE
        if connection.vendor == "postgresql":
            _write_state_postgres(due, now, deadline)
        else:
            _write_state_sqlite(due, now, deadline)
        for s in due:
            s.written_at = mono

    # --- alerts ------------------------------------------------------------------------------------

    def _raise(self, state: DeviceState, hit: rules.Hit, now: dt.datetime) -> None:
        case = ObservationCase.objects.select_related(
            "resident", "compound__neighbourhood__street__district"
        ).get(id=state.case_id or uuid.UUID(int=0))
        reading = hit.reading
        evidence = {
            "serial": state.serial,
            "seq": reading.seq,
            "ts": reading.recorded_at.isoformat(),
            "received_at": now.isoformat(),
            **hit.evidence,
        }
        with translation.override(settings.LANGUAGE_CODE):
            title = _alert_title(hit, case.resident.masked_name)
        alert_raise(
            kind=hit.kind,
            severity=SEVERITY[hit.kind],
            neighbourhood=case.compound.neighbourhood,
            compound=case.compound,
            subject=case.resident,
            title=title,
            dedupe_key=f"wristband:{case.id}:{hit.kind}",
            evidence=evidence,
            at=now,
        )


def _alert_title(hit: rules.Hit, name: str) -> str:
    if hit.kind == rules.EXIT:
        return _("%(name)s left home (%(distance)s m away)") % {
            "name": name,
            "distance": hit.evidence["distance_m"],
        }
    if hit.kind == rules.FEVER:
        return _("%(name)s: %(temp)s °C on the wristband") % {"name": name, "temp": hit.evidence["temp_c"]}
    if hit.kind == rules.REMOVED:
        return _("%(name)s took the wristband off") % {"name": name}
    return _("%(name)s: wristband battery at %(pct)s%%") % {"name": name, "pct": hit.evidence["battery_pct"]}


READING_FIELDS = (
    "seq", "recorded_at", "lat", "lon", "accuracy_m", "temp_c", "heart_rate", "worn", "battery_pct"
)  # fmt: skip


COLUMNS = (
    "device_id, case_id, seq, recorded_at, received_at, lat, lon, accuracy_m, temp_c,"
    " heart_rate, worn, battery_pct"
)


STAGE = """
CREATE TEMP TABLE IF NOT EXISTS devices_telemetry_stage (
    device_id uuid, case_id uuid, seq bigint, recorded_at timestamptz, received_at timestamptz,
    lat float8, lon float8, accuracy_m float8, temp_c float8, heart_rate int2, worn bool, battery_pct int2
) ON COMMIT DELETE ROWS
"""
STAGE_TYPES = (
    "uuid uuid int8 timestamptz timestamptz float8 float8 float8 float8 int2 bool int2".split()  # noqa: SIM905
)


def _insert_postgres(
    rows: list[tuple[int, DeviceState, Reading]], items: Sequence[Incoming]
) -> set[tuple[uuid.UUID, int, dt.datetime]]:
    # Binary COPY into a per-connection staging table, then one INSERT … ON CONFLICT DO NOTHING that
    # returns only the rows that were new. The staging table empties itself at commit.
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(STAGE)
        with cursor.copy(f"COPY devices_telemetry_stage ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(STAGE_TYPES)
            for index, state, r in rows:
                copy.write_row(
                    (
                        state.id,
                        state.case_id,
                        r.seq,
                        r.recorded_at,
                        items[index].received_at,
                        r.lat,
                        r.lon,
                        r.accuracy_m,
                        r.temp_c,
                        r.heart_rate,
                        r.worn,
                        r.battery_pct,
                    )
                )
        cursor.execute(
            f"INSERT INTO devices_telemetry ({COLUMNS}) SELECT {COLUMNS} FROM devices_telemetry_stage"  # noqa: S608
            " ON CONFLICT DO NOTHING RETURNING device_id, seq",
            binary=True,
        )
        new = {(row[0], row[1]) for row in cursor.fetchall()}
        cursor.execute("TRUNCATE devices_telemetry_stage")
    return {(state.id, r.seq, r.recorded_at) for _, state, r in rows if (state.id, r.seq) in new}


def _insert_sqlite(
    rows: list[tuple[int, DeviceState, Reading]], items: Sequence[Incoming]
) -> set[tuple[uuid.UUID, int, dt.datetime]]:
    ops = connection.ops
    inserted: set[tuple[uuid.UUID, int, dt.datetime]] = set()
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start : start + SQLITE_CHUNK]
        params: list[Any] = []
        keys: dict[tuple[str, int, str], tuple[uuid.UUID, int, dt.datetime]] = {}
        for index, state, r in chunk:
            stamp = str(ops.adapt_datetimefield_value(r.recorded_at))
            keys[(state.id.hex, r.seq, stamp)] = (state.id, r.seq, r.recorded_at)
            params.extend(
                (
                    state.id.hex,
                    state.case_id.hex if state.case_id else None,
                    r.seq,
                    stamp,
                    ops.adapt_datetimefield_value(items[index].received_at),
                    r.lat,
                    r.lon,
                    r.accuracy_m,
                    r.temp_c,
                    r.heart_rate,
                    r.worn,
                    r.battery_pct,
                )
            )
        values = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO devices_telemetry ({COLUMNS}) VALUES {values}"  # noqa: S608 - placeholders only
                " ON CONFLICT DO NOTHING RETURNING device_id, seq, recorded_at",
                params,
            )
            for device_id, seq, stamp in cursor.fetchall():
                key = keys.get((str(device_id), int(seq), str(stamp)))
                if key is not None:
                    inserted.add(key)
    return inserted


def _write_state_postgres(due: list[DeviceState], now: dt.datetime, deadline: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE devices_wristband w SET last_seq = v.seq, last_recorded_at = v.ts, last_seen_at = %s,"
            " battery_pct = COALESCE(v.battery, w.battery_pct)"
            " FROM unnest(%s::uuid[], %s::int8[], %s::timestamptz[], %s::int2[]) AS v(id, seq, ts, battery)"
            " WHERE w.id = v.id",
            [
                now,
                [s.id for s in due],
                [s.max_seq for s in due],
                [s.ts_at_max for s in due],
                [s.battery_pct for s in due],
            ],
        )
        cursor.execute(
            "UPDATE devices_binding SET silent_after = %s WHERE id = ANY(%s::uuid[]) AND status = 'active'"
            " AND (silent_after IS NULL OR silent_after < %s)",
            [deadline, [s.binding_id for s in due if s.binding_id is not None], deadline],
        )


def _write_state_sqlite(due: list[DeviceState], now: dt.datetime, deadline: dt.datetime) -> None:
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE devices_wristband SET last_seq = %s, last_recorded_at = %s, last_seen_at = %s,"
            " battery_pct = COALESCE(%s, battery_pct) WHERE id = %s",
            [
                (
                    s.max_seq,
                    ops.adapt_datetimefield_value(s.ts_at_max),
                    ops.adapt_datetimefield_value(now),
                    s.battery_pct,
                    s.id.hex,
                )
                for s in due
            ],
        )
        stamp = ops.adapt_datetimefield_value(deadline)
        cursor.executemany(
            "UPDATE devices_binding SET silent_after = %s WHERE id = %s AND status = 'active'"
            " AND (silent_after IS NULL OR silent_after < %s)",
            [(stamp, s.binding_id.hex, stamp) for s in due if s.binding_id is not None],
        )
