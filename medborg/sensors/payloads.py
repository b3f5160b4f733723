"""Turn sensor messages into readings: Medborg's JSON and ChirpStack v4 uplinks.

Pure: no database. Every message becomes exactly one ``ReadingIn``; one that
cannot be read carries its ``problem`` and what was received, so that the
ingest quarantines it as malformed instead of dropping it. Whether the
device exists, the fill level is plausible or the time lies in the future is
decided by ``services.readings``, which knows the devices and the clock.

Medborg JSON (an HTTP batch item, or an MQTT message on
``medborg/sensors/<device>/readings``)::

    {"device": "a84041000181c2d1", "measured_at": "2026-03-02T07:15:00+01:00",
     "fill_percent": 63.5, "battery_percent": 91, "temperature_c": 4.5}

with ``distance_mm`` instead of ``fill_percent`` for an ultrasonic sensor.
ChirpStack v4 publishes the uplink event on
``application/<application id>/device/<DevEUI>/event/up``; its ``object`` is
what the device profile's codec decoded (see docs/sensors.md for the keys).
"""

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from medborg.sensors.models import Source

MAX_IDENTIFIER = 64
# PostgreSQL's integer, the column of Reading.distance_mm.
MAX_DISTANCE_MM = 2_147_483_647
CHIRPSTACK_TOPIC = re.compile(r"^application/[^/]+/device/(?P<dev_eui>[^/]+)/event/up$")
MEDBORG_TOPIC = re.compile(r"^(?:.+/)?sensors/(?P<device>[^/]+)/readings$")
# Decoded-object keys of the codecs in use, first match wins.
CHIRPSTACK_KEYS = {
    "fill_percent": ("fill_percent", "fillLevel", "fill_level", "fill"),
    "distance_mm": ("distance_mm", "distance", "distanceMm"),
    "battery_percent": ("battery_percent", "battery", "batteryLevel"),
    "temperature_c": ("temperature_c", "temperature", "temperatureC"),
}
# A distance a little beyond the calibrated range is echo noise, not a fault:
# up to this share of the range it counts as empty or full.
DISTANCE_TOLERANCE = 0.1


@dataclass(frozen=True)
class ReadingIn:
    """One reading as received; ``problem`` set means it could not be read."""

    device: str
    measured_at: datetime | None
    fill_percent: float | None = None
    distance_mm: int | None = None
    battery_percent: float | None = None
    temperature_c: float | None = None
    problem: str = ""
    raw: Any = field(default=None, compare=False)


class Unreadable(ValueError):
    """A value in a message that cannot be read; the message says which."""


def _number(data: dict, key: str, *, required=False) -> float | None:
    value = data.get(key)
    if value is None:
        if required:
            raise Unreadable(_("%(key)s is missing.") % {"key": key})
        return None
    # bool is an int in Python, and true is never a fill level.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(_("%(key)s is not a number.") % {"key": key})
    if not math.isfinite(value):
        raise Unreadable(_("%(key)s is not a finite number.") % {"key": key})
    return float(value)


def _percent(data: dict, key: str) -> float | None:
    value = _number(data, key)
    if value is not None and not 0 <= value <= 100:
        raise Unreadable(_("%(key)s is not between 0 and 100.") % {"key": key})
    return value


def _distance(data: dict, key: str) -> int | None:
    value = _number(data, key)
    if value is None:
        return None
    if not 0 <= value <= MAX_DISTANCE_MM:
        raise Unreadable(_("%(key)s is not a distance in mm.") % {"key": key})
    return round(value)


def _timestamp(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise Unreadable(_("%(key)s is missing or not text.") % {"key": key})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise Unreadable(
            _("%(key)s is not an ISO 8601 date and time.") % {"key": key}
        ) from error
    # A time without its zone is ambiguous twice a year and across borders.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Unreadable(_("%(key)s has no time zone.") % {"key": key})
    return moment


def _identifier(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Unreadable(_("%(key)s is missing or not text.") % {"key": key})
    if not value.strip().isprintable():
        raise Unreadable(_("%(key)s contains control characters.") % {"key": key})
    if len(value.strip()) > MAX_IDENTIFIER:
        raise Unreadable(
            _("%(key)s is longer than %(count)s characters.")
            % {"key": key, "count": MAX_IDENTIFIER}
        )
    return value.strip()


def _guess_device(data: Any, fallback: str) -> str:
    """The device a malformed message names, for the operator to see."""
    if isinstance(data, dict):
        for value in (data.get("device"), (data.get("deviceInfo") or {}).get("devEui")):
            if isinstance(value, str) and value.strip():
                return printable(value.strip())[:MAX_IDENTIFIER]
    return printable(fallback)[:MAX_IDENTIFIER]


def printable(text: str) -> str:
    """The text with control characters replaced: PostgreSQL stores no NUL."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def as_text(payload: bytes, limit: int = 2000) -> str:
    """A payload that is not JSON, as text an operator can read and the
    database can store."""
    text = payload[: limit * 4].decode("utf-8", errors="replace")[:limit]
    return text.replace("\x00", "\ufffd")


def _measurement(values: dict, keys: dict) -> dict:
    """Fill, distance, battery and temperature from ``values`` under ``keys``."""
    picked = {}
    for name, candidates in keys.items():
        key = next((k for k in candidates if values.get(k) is not None), candidates[0])
        picked[name] = key
    # The fill level is checked against 0–100 by the ingest, which
    # quarantines it as out of range: a reason operators can act on.
    fill = _number(values, picked["fill_percent"])
    distance = _distance(values, picked["distance_mm"])
    if fill is None and distance is None:
        raise Unreadable(_("Neither a fill level nor a distance was sent."))
    return {
        "fill_percent": fill,
        "distance_mm": distance,
        "battery_percent": _percent(values, picked["battery_percent"]),
        "temperature_c": _number(values, picked["temperature_c"]),
    }


def medborg_reading(data: Any, *, device: str = "") -> ReadingIn:
    """Read one reading in Medborg's JSON; ``device`` from the topic if not in it."""
    try:
        if not isinstance(data, dict):
            raise Unreadable(_("A reading is a JSON object."))
        name = data.get("device")
        identifier = _identifier(device if name is None else name, "device")
        return ReadingIn(
            device=identifier,
            measured_at=_timestamp(data.get("measured_at"), "measured_at"),
            raw=data,
            **_measurement(data, {k: (k,) for k in CHIRPSTACK_KEYS}),
        )
    except Unreadable as error:
        return malformed(data, str(error), device=_guess_device(data, device))


def _chirpstack_time(data: dict) -> Any:
    """The uplink's time, else the first gateway's (``time`` is optional)."""
    if data.get("time") is not None:
        return data["time"]
    for rx in data.get("rxInfo") or []:
        if isinstance(rx, dict):
            for key in ("gwTime", "nsTime"):
                if rx.get(key):
                    return rx[key]
    return None


def chirpstack_reading(data: Any, *, dev_eui: str = "") -> ReadingIn:
    """Read a ChirpStack v4 ``event/up`` JSON; the DevEUI from the topic if absent."""
    try:
        if not isinstance(data, dict):
            raise Unreadable(_("An uplink event is a JSON object."))
        info = data.get("deviceInfo") or {}
        if not isinstance(info, dict):
            raise Unreadable(_("deviceInfo is not an object."))
        identifier = _identifier(info.get("devEui") or dev_eui, "deviceInfo.devEui")
        measured_at = _timestamp(_chirpstack_time(data), "time")
        values = data.get("object")
        if not isinstance(values, dict):
            raise Unreadable(
                _("The uplink has no decoded object; is the device codec set?")
            )
        return ReadingIn(
            device=identifier,
            measured_at=measured_at,
            raw=data,
            **_measurement(values, CHIRPSTACK_KEYS),
        )
    except Unreadable as error:
        return malformed(data, str(error), device=_guess_device(data, dev_eui))


def malformed(raw: Any, problem: str, *, device: str = "") -> ReadingIn:
    return ReadingIn(device=device, measured_at=None, problem=problem, raw=raw)


def mqtt_reading(topic: str, payload: bytes) -> tuple[str, ReadingIn]:
    """Read one MQTT message: its source (by topic) and its reading.

    ChirpStack's uplink topic is recognised by its shape; anything else is
    Medborg JSON. A payload that is not UTF-8 JSON is kept as text.
    """
    chirpstack = CHIRPSTACK_TOPIC.match(topic)
    source = Source.CHIRPSTACK if chirpstack else Source.MQTT
    named = MEDBORG_TOPIC.match(topic)
    device = chirpstack["dev_eui"] if chirpstack else named["device"] if named else ""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raw = {"topic": topic, "payload": as_text(payload)}
        problem = _("The message is not JSON in UTF-8.")
        return source, malformed(raw, problem, device=device[:MAX_IDENTIFIER])
    if chirpstack:
        reading = chirpstack_reading(data, dev_eui=device)
    else:
        reading = medborg_reading(data, device=device)
    return source, reading


def unstorable(topic: str, payload: bytes, error: str) -> tuple[str, ReadingIn]:
    """A message the database refused, to be quarantined as text."""
    source, reading = mqtt_reading(topic, payload)
    raw = {"topic": topic, "payload": as_text(payload)}
    problem = _("The message could not be stored: %(error)s") % {"error": error}
    return source, malformed(raw, problem[:300], device=reading.device)


def fill_from_distance(distance_mm: int, *, empty_mm: int, full_mm: int) -> float:
    """The fill level of a distance between the calibrated empty and full ones.

    Within ``DISTANCE_TOLERANCE`` of the range beyond either end it is 0 or
    100 %; further out the result lies outside 0–100, for the ingest to
    quarantine as out of range.
    """
    span = empty_mm - full_mm
    percent = (empty_mm - distance_mm) / span * 100
    margin = DISTANCE_TOLERANCE * 100
    if -margin <= percent < 0:
        return 0.0
    if 100 < percent <= 100 + margin:
        return 100.0
    return round(percent, 1)
