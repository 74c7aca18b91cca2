"""The wristband protocol: topics and payload validation. Pure functions, no I/O.

See docs/device-protocol.md. Every rejection has a short reason code; the ingester counts and
logs them, the HTTP endpoint returns them per reading.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import orjson

TOPIC_PREFIX = "gatehouse/wristbands/"
TOPIC_FILTER = "gatehouse/wristbands/+/telemetry"
SHARED_GROUP = "gatehouse"

MAX_PAYLOAD_BYTES = 4096
MAX_FUTURE = dt.timedelta(minutes=5)
# A wristband keeps readings while it has no network and sends them later; older than this is junk.
MAX_PAST = dt.timedelta(hours=48)
TEMP_RANGE_C = (30.0, 45.0)
HEART_RATE_RANGE = (20, 250)
MAX_ACCURACY_M = 10_000.0
MAX_SEQ = 2**53


class Reason:
    """Why a message was not stored. Codes are stable: logs, counters and the HTTP answer use them."""

    BAD_TOPIC = "bad_topic"
    TOO_LARGE = "too_large"
    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    BAD_SEQ = "bad_seq"
    BAD_TS = "bad_ts"
    TS_FUTURE = "ts_future"
    TS_PAST = "ts_past"
    BAD_COORDINATES = "bad_coordinates"
    BAD_ACCURACY = "bad_accuracy"
    BAD_TEMPERATURE = "bad_temperature"
    BAD_HEART_RATE = "bad_heart_rate"
    BAD_WORN = "bad_worn"
    BAD_BATTERY = "bad_battery"
    UNKNOWN_SERIAL = "unknown_serial"
    OTHER_DISTRICT = "other_district"
    NOT_BOUND = "not_bound"
    SEQ_BACKWARDS = "seq_backwards"
    SEQ_REUSED = "seq_reused"
    RATE_LIMITED = "rate_limited"
    STORE_ERROR = "store_error"


@dataclass(frozen=True, slots=True)
class Reading:
    """One validated reading. Position is absent when the wristband has no fix."""

    seq: int
    recorded_at: dt.datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    temp_c: float | None
    heart_rate: int | None
    worn: bool
    battery_pct: int | None


def serial_from_topic(topic: str) -> str | None:
    """`gatehouse/wristbands/{serial}/telemetry` → serial, or None for any other shape."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "gatehouse" or parts[1] != "wristbands" or parts[3] != "telemetry":
        return None
    serial = parts[2]
    if not serial or len(serial) > 32:
        return None
    return serial


def topic_for(serial: str) -> str:
    return f"{TOPIC_PREFIX}{serial}/telemetry"


_isfinite = math.isfinite
_MISSING = object()


def _number(value: Any) -> Any:
    """A finite number as float, None for null, or _MISSING for anything else (bool included:
    a wristband sending true as a temperature is wrong, not 1 °C)."""
    kind = type(value)
    if kind is float:
        return value if _isfinite(value) else _MISSING
    if kind is int:
        return float(value) if -1e300 < value < 1e300 else _MISSING  # float() overflows past ~1e308
    if value is None:
        return None
    return _MISSING


def parse_reading(raw: bytes | str, *, now: dt.datetime) -> Reading | str:
    """The reading in `raw`, or the reason code it is rejected with."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        return Reason.TOO_LARGE
    try:
        # Strict JSON: NaN and Infinity are not JSON and are rejected here.
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return Reason.MALFORMED_JSON
    if not isinstance(data, dict):
        return Reason.NOT_AN_OBJECT
    return reading_from_dict(data, now=now)


def reading_from_dict(data: dict[str, Any], *, now: dt.datetime) -> Reading | str:
    seq = data.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < MAX_SEQ:
        return Reason.BAD_SEQ
    ts = data.get("ts")
    if not isinstance(ts, str) or len(ts) > 40:
        return Reason.BAD_TS
    try:
        recorded_at = dt.datetime.fromisoformat(ts)
    except ValueError:
        return Reason.BAD_TS
    if recorded_at.tzinfo is None:
        return Reason.BAD_TS  # a wristband's local time without an offset is ambiguous
    if recorded_at - now > MAX_FUTURE:
        return Reason.TS_FUTURE
    if now - recorded_at > MAX_PAST:
        return Reason.TS_PAST
    recorded_at = recorded_at.astimezone(dt.UTC)

    get = data.get
    lat, lon = _number(get("lat")), _number(get("lon"))
    if lat is _MISSING or lon is _MISSING or (lat is None) != (lon is None):
        return Reason.BAD_COORDINATES
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return Reason.BAD_COORDINATES
    accuracy = _number(get("accuracy_m"))
    if accuracy is _MISSING or (accuracy is not None and not 0 <= accuracy <= MAX_ACCURACY_M):
        return Reason.BAD_ACCURACY
    temp = _number(get("temp_c"))
    # 98.6 is a Fahrenheit body temperature sent as Celsius: out of range, never converted by guess.
    if temp is _MISSING or (temp is not None and not TEMP_RANGE_C[0] <= temp <= TEMP_RANGE_C[1]):
        return Reason.BAD_TEMPERATURE
    heart_rate = data.get("heart_rate")
    if heart_rate is not None and (
        isinstance(heart_rate, bool)
        or not isinstance(heart_rate, int)
        or not HEART_RATE_RANGE[0] <= heart_rate <= HEART_RATE_RANGE[1]
    ):
        return Reason.BAD_HEART_RATE
    worn = data.get("worn")
    if not isinstance(worn, bool):
        return Reason.BAD_WORN
    battery = data.get("battery_pct")
    if battery is not None and (
        isinstance(battery, bool) or not isinstance(battery, int) or not 0 <= battery <= 100
    ):
        return Reason.BAD_BATTERY
    return Reading(
        seq=seq,
        recorded_at=recorded_at,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        temp_c=temp,
        heart_rate=heart_rate,
        worn=worn,
        battery_pct=battery,
    )


def reading_to_payload(reading: Reading, *, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    """The wire form of a reading (what a wristband sends)."""
    return {
        "seq": reading.seq,
        "ts": reading.recorded_at.astimezone(tz).isoformat(timespec="seconds"),
        "lat": reading.lat,
        "lon": reading.lon,
        "accuracy_m": reading.accuracy_m,
        "temp_c": reading.temp_c,
        "heart_rate": reading.heart_rate,
        "worn": reading.worn,
        "battery_pct": reading.battery_pct,
    }
