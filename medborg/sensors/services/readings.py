"""Store sensor readings, idempotently, whichever way they arrived.

``record_readings`` is the only writer of ``Reading`` for ingest: HTTP, MQTT
and ChirpStack all call it. A reading is stored once per (device,
measured_at); delivered again, it is counted as a duplicate. A reading that
cannot be right is kept in ``QuarantinedReading`` with its reason: nothing
is dropped without a trace.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import DateTimeField
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from medborg.sensors.models import Device, QuarantinedReading, Reading
from medborg.sensors.payloads import ReadingIn, fill_from_distance

logger = logging.getLogger(__name__)

Reason = QuarantinedReading.Reason
# Sensors' clocks drift; a reading a little ahead of ours is not in the future.
CLOCK_SKEW = timedelta(minutes=5)
COLUMNS = (
    "device",
    "bin",
    "measured_at",
    "received_at",
    "fill_percent",
    "distance_mm",
    "battery_percent",
    "temperature_c",
    "source",
)


# What ingest reads of a device; loading whole rows cost a tenth of a batch.
DEVICE_FIELDS = ("identifier", "bin_id", "empty_distance_mm", "full_distance_mm")


@dataclass(frozen=True)
class Refusal:
    index: int
    reason: str
    message: str


@dataclass
class IngestResult:
    """What became of each reading, by its index in the list given."""

    stored: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    bin_ids: list[int] = field(default_factory=list)

    def results(self) -> list[dict]:
        """One entry per reading, in the order given."""
        rows = [{"index": i, "status": "stored"} for i in self.stored]
        rows += [{"index": i, "status": "duplicate"} for i in self.duplicates]
        rows += [
            {
                "index": r.index,
                "status": "refused",
                "reason": r.reason,
                "message": r.message,
            }
            for r in self.refused
        ]
        return sorted(rows, key=lambda row: row["index"])


def _devices(identifiers: set[str]) -> dict[str, Device]:
    """Devices by the identifier sent; a DevEUI matches whatever its case."""
    devices = Device.objects.only(*DEVICE_FIELDS)
    found = {d.identifier: d for d in devices.filter(identifier__in=identifiers)}
    missing = {i.upper(): i for i in identifiers - found.keys()}
    if missing:
        others = devices.annotate(upper=Upper("identifier")).filter(upper__in=missing)
        for device in others:
            found[missing[device.upper]] = device
    return found


def _check(reading: ReadingIn, device: Device | None, now: datetime):
    """The fill level to store, or the (reason, message) it is refused for."""
    if reading.problem:
        return None, (Reason.MALFORMED, reading.problem)
    if device is None:
        message = _("No sensor has the identifier %(device)s.")
        return None, (Reason.UNKNOWN_DEVICE, message % {"device": reading.device})
    if reading.measured_at > now + CLOCK_SKEW:
        message = _("Measured at %(time)s, after the time it was received.")
        moment = reading.measured_at.isoformat()
        return None, (Reason.FUTURE, message % {"time": moment})
    fill = reading.fill_percent
    if fill is None:
        if device.empty_distance_mm is None or device.full_distance_mm is None:
            message = _("Sensor %(device)s has no empty and full distances.")
            return None, (Reason.NOT_CALIBRATED, message % {"device": reading.device})
        fill = fill_from_distance(
            reading.distance_mm,
            empty_mm=device.empty_distance_mm,
            full_mm=device.full_distance_mm,
        )
    if not 0 <= fill <= 100:
        message = _("A fill level of %(fill)s %% is outside 0–100 %%.")
        return None, (Reason.OUT_OF_RANGE, message % {"fill": fill})
    return fill, None


def _insert(rows: list[Reading]) -> set[tuple[int, datetime]]:
    """Insert the rows not stored yet; return the (device, time) of those inserted.

    ``ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL, SQLite ≥ 3.35) says
    exactly which rows were new even when another process stores the same
    reading at the same moment, which ``bulk_create(ignore_conflicts=True)``
    cannot tell.
    """
    fields = [Reading._meta.get_field(name) for name in COLUMNS]
    if connection.vendor == "postgresql":
        return _insert_arrays(rows, fields)
    ids = _insert_values(rows, fields)
    return set(
        Reading.objects.filter(pk__in=ids).values_list("device_id", "measured_at")
    )


def _conflict_clause() -> str:
    quote = connection.ops.quote_name
    return f"ON CONFLICT ({quote('device_id')}, {quote('measured_at')}) DO NOTHING"


def _prepared(field, value):
    """``value`` as the database takes it. Numbers and keys go as they are:
    ``get_db_prep_save`` on every cell cost a fifth of a batch's time."""
    if value is None:
        return None
    if field.choices:
        return str(value)  # a TextChoices member's value, not its name
    if isinstance(field, DateTimeField):
        return field.get_db_prep_save(value, connection)
    return value


def _insert_arrays(rows: list[Reading], fields) -> set[tuple[int, datetime]]:
    """PostgreSQL: one statement whatever the batch's size, a column an array.

    A statement of nine parameters is parsed once per connection, where one
    with nine parameters a row costs psycopg more time to convert than the
    database takes to insert the rows.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    params = [[_prepared(f, getattr(row, f.attname)) for row in rows] for f in fields]
    # Only quoted names and types from the model go into the text; values are
    # parameters.
    sql = (
        f"INSERT INTO {quote(Reading._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) {_conflict_clause()} "
        f"RETURNING {quote('device_id')}, {quote('measured_at')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(map(tuple, cursor.fetchall()))


def _insert_values(rows: list[Reading], fields) -> set[int]:
    """Other databases: multi-row VALUES in chunks; return the new rows' ids."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    ids = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [
                f.get_db_prep_save(getattr(row, f.attname), connection)
                for row in chunk
                for f in fields
            ]
            # Only quoted names from the model go into the text; values are
            # parameters.
            sql = (
                f"INSERT INTO {quote(Reading._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"{_conflict_clause()} RETURNING {quote('id')}"
            )
            cursor.execute(sql, params)
            ids.update(row[0] for row in cursor.fetchall())
    return ids


def _touch_devices(readings: list[Reading]) -> None:
    """Move each device's last seen time and battery to its newest reading.

    A reading delivered late never sets an older time or battery level than
    the device already shows. On PostgreSQL one UPDATE joined to the arrays
    of new values; elsewhere one conditional UPDATE per device, in device
    order. (The ORM's ``Case(When(...))`` form of this spent 0.8 s compiling
    for a batch of 500.)
    """
    newest: dict[int, Reading] = {}
    for reading in readings:
        known = newest.get(reading.device_id)
        if known is None or reading.measured_at > known.measured_at:
            newest[reading.device_id] = reading
    if not newest:
        return
    quote = connection.ops.quote_name
    seen = Device._meta.get_field("last_seen_at")
    battery = quote(Device._meta.get_field("battery_percent").column)
    last_seen, table = quote(seen.column), quote(Device._meta.db_table)
    pk_column = quote(Device._meta.pk.column)
    # Only quoted names and types from the model go into the text; values are
    # parameters.
    sql = (
        f"UPDATE {table} SET {last_seen} = %s, "  # noqa: S608
        f"{battery} = COALESCE(%s, {battery}) "
        f"WHERE {pk_column} = %s AND ({last_seen} IS NULL OR {last_seen} < %s)"
    )
    order = sorted(newest)
    moments = [
        seen.get_db_prep_save(newest[pk].measured_at, connection) for pk in order
    ]
    batteries = [newest[pk].battery_percent for pk in order]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS device SET {last_seen} = new.seen, "  # noqa: S608
                f"{battery} = COALESCE(new.battery, device.{battery}) "
                f"FROM unnest(%s::bigint[], %s::{seen.db_type(connection)}[], "
                f"%s::double precision[]) AS new(id, seen, battery) "
                f"WHERE device.{pk_column} = new.id AND "
                f"(device.{last_seen} IS NULL OR device.{last_seen} < new.seen)",
                [order, moments, batteries],
            )
        else:
            cursor.executemany(
                sql,
                [
                    (moment, level, pk, moment)
                    for pk, moment, level in zip(order, moments, batteries, strict=True)
                ],
            )


def _as_received(reading: ReadingIn):
    """The message as received, or the reading's fields when built in code."""
    if reading.raw is not None:
        # PostgreSQL's jsonb stores no NUL character, which JSON may carry.
        text = json.dumps(reading.raw).replace("\\u0000", "\\ufffd")
        return json.loads(text)
    fields = {
        "device": reading.device,
        "measured_at": reading.measured_at and reading.measured_at.isoformat(),
        "fill_percent": reading.fill_percent,
        "distance_mm": reading.distance_mm,
        "battery_percent": reading.battery_percent,
        "temperature_c": reading.temperature_c,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _quarantine(readings, refusals, *, source, received_at) -> None:
    QuarantinedReading.objects.bulk_create(
        QuarantinedReading(
            received_at=received_at,
            source=source,
            device_identifier=readings[r.index].device[:64],
            measured_at=readings[r.index].measured_at,
            reason=r.reason,
            detail=r.message[:300],
            payload=_as_received(readings[r.index]),
        )
        for r in refusals
    )


def _evaluate_later(bin_ids: list[int]) -> None:
    from medborg.sensors.tasks import evaluate_bins

    transaction.on_commit(lambda: evaluate_bins.enqueue(sorted(bin_ids)))


@transaction.atomic
def record_readings(
    *,
    readings: Sequence[ReadingIn],
    source: str,
    received_at: datetime | None = None,
) -> IngestResult:
    """Store the readings in one transaction; say what became of each.

    Guarantees: a (device, measured_at) is stored at most once, here or by
    any concurrent call, and a repeat is reported as a duplicate; every
    refused reading is in the quarantine with its reason; each device's last
    seen time and battery follow its newest stored reading; the reading's bin
    is the device's bin. After commit, ``evaluate_bins`` is enqueued for the
    bins that got new readings. Raises only database errors, and then stores
    nothing.
    """
    now = timezone.now()
    received_at = received_at or now
    result = IngestResult()
    devices = _devices({r.device for r in readings if not r.problem and r.device})
    keys: dict[tuple[int, datetime], int] = {}
    rows: list[Reading] = []
    for index, reading in enumerate(readings):
        device = devices.get(reading.device)
        fill, refusal = _check(reading, device, now)
        if refusal is not None:
            result.refused.append(Refusal(index, *refusal))
            continue
        key = (device.pk, reading.measured_at)
        if key in keys:
            result.duplicates.append(index)
            continue
        keys[key] = index
        rows.append(
            Reading(
                device=device,
                bin_id=device.bin_id,
                measured_at=reading.measured_at,
                received_at=received_at,
                fill_percent=fill,
                distance_mm=reading.distance_mm,
                battery_percent=reading.battery_percent,
                temperature_c=reading.temperature_c,
                source=source,
            )
        )
    # The same order in every transaction: two batches inserting the same
    # readings then wait on each other instead of deadlocking.
    rows.sort(key=lambda r: (r.device_id, r.measured_at))
    stored_keys = _insert(rows) if rows else set()
    stored = [row for row in rows if (row.device_id, row.measured_at) in stored_keys]
    for row in rows:
        index = keys[(row.device_id, row.measured_at)]
        if (row.device_id, row.measured_at) in stored_keys:
            result.stored.append(index)
        else:
            result.duplicates.append(index)
    result.stored.sort()
    result.duplicates.sort()
    result.refused.sort(key=lambda r: r.index)
    _quarantine(readings, result.refused, source=source, received_at=received_at)
    _touch_devices(stored)
    result.bin_ids = sorted({row.bin_id for row in stored if row.bin_id is not None})
    if result.bin_ids:
        _evaluate_later(result.bin_ids)
    return result
