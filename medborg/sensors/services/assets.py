"""Create or update bins, sensors and vehicles from imported records.

Records come from ``medborg.sensors.imports``; this module checks what only
the database knows (that a named depot or bin exists), then writes every
accepted record in one transaction: a bin or vehicle by its code, a sensor by
its identifier. A row the file describes completely replaces what was stored,
so importing the same file twice changes nothing the second time. Refused rows
are skipped and reported, never half written.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import models, transaction
from django.utils.translation import gettext as _

from medborg.routing.models import Depot, Vehicle
from medborg.sensors.imports import (
    BinRecord,
    DeviceRecord,
    Record,
    Refusal,
    VehicleRecord,
)
from medborg.sensors.models import Bin, Device


@dataclass
class ImportReport:
    """What an import did, or with ``dry_run`` would do; keys are codes."""

    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


# Record fields stored as they are; references are resolved separately.
BIN_FIELDS = [
    f.name for f in fields(BinRecord) if f.name not in {"row", "unit", "code", "depot"}
]
DEVICE_FIELDS = ["empty_distance_mm", "full_distance_mm"]
VEHICLE_FIELDS = [
    f.name
    for f in fields(VehicleRecord)
    if f.name not in {"row", "unit", "code", "depot"}
]


def import_bins(
    *,
    records: Sequence[BinRecord],
    by=None,
    dry_run: bool = False,
    refused: Sequence[Refusal] = (),
) -> ImportReport:
    """Create or update bins by code; a bin may name a depot by its code.

    Atomic; nothing is written when ``dry_run``. ``refused`` (the parser's
    refusals) is carried into the report, sorted by row with the new ones.
    """
    depots = _by_code(Depot, {record.depot for record in records if record.depot})

    def check(record: BinRecord) -> list[str]:
        if record.depot and record.depot not in depots:
            return [_("There is no depot %(code)s.") % {"code": record.depot}]
        return []

    def values(record: BinRecord) -> dict:
        return {
            **{name: getattr(record, name) for name in BIN_FIELDS},
            "depot_id": _pk(depots.get(record.depot)),
        }

    return _upsert(
        Bin,
        "code",
        records,
        check=check,
        values=values,
        by=by,
        dry_run=dry_run,
        refused=refused,
    )


def import_devices(
    *,
    records: Sequence[DeviceRecord],
    by=None,
    dry_run: bool = False,
    refused: Sequence[Refusal] = (),
) -> ImportReport:
    """Create or update sensors by identifier and place each in its bin.

    A sensor with an empty ``bin`` is taken out of its bin. Last seen, battery
    and faults come from readings and are left as they are. Atomic; nothing is
    written when ``dry_run``.
    """
    bins = _by_code(Bin, {record.bin for record in records if record.bin})

    def check(record: DeviceRecord) -> list[str]:
        if record.bin and record.bin not in bins:
            return [_("There is no bin %(code)s.") % {"code": record.bin}]
        return []

    def values(record: DeviceRecord) -> dict:
        return {
            **{name: getattr(record, name) for name in DEVICE_FIELDS},
            "bin_id": _pk(bins.get(record.bin)),
        }

    return _upsert(
        Device,
        "identifier",
        records,
        check=check,
        values=values,
        by=by,
        dry_run=dry_run,
        refused=refused,
    )


def import_vehicles(
    *,
    records: Sequence[VehicleRecord],
    by=None,
    dry_run: bool = False,
    refused: Sequence[Refusal] = (),
) -> ImportReport:
    """Create or update vehicles by code at their depots.

    The usual driver and whether the vehicle is in use are kept as they are.
    Atomic; nothing is written when ``dry_run``.
    """
    depots = _by_code(Depot, {record.depot for record in records})

    def check(record: VehicleRecord) -> list[str]:
        if record.depot not in depots:
            return [_("There is no depot %(code)s.") % {"code": record.depot}]
        return []

    def values(record: VehicleRecord) -> dict:
        return {
            **{name: getattr(record, name) for name in VEHICLE_FIELDS},
            "depot_id": depots[record.depot].pk,
        }

    return _upsert(
        Vehicle,
        "code",
        records,
        check=check,
        values=values,
        by=by,
        dry_run=dry_run,
        refused=refused,
    )


IMPORTERS: dict[str, Callable[..., ImportReport]] = {
    "bins": import_bins,
    "devices": import_devices,
    "vehicles": import_vehicles,
}


def _by_code(model, codes: set[str]) -> dict:
    return model.objects.in_bulk(list(codes), field_name="code") if codes else {}


def _upsert(
    model: type[models.Model],
    key: str,
    records: Sequence[Record],
    *,
    check: Callable[[Record], list[str]],
    values: Callable[[Record], dict],
    by,
    dry_run: bool,
    refused: Sequence[Refusal],
) -> ImportReport:
    report = ImportReport(dry_run=dry_run, refused=list(refused))
    accepted = []
    for record in records:
        problems = check(record)
        if problems:
            report.refused.append(Refusal(record.row, tuple(problems), record.unit))
        else:
            accepted.append(record)
    report.refused.sort(key=lambda refusal: refusal.row)
    with transaction.atomic():
        existing = model.objects.select_for_update().in_bulk(
            [getattr(record, key) for record in accepted], field_name=key
        )
        new, changed = [], []
        for record in accepted:
            wanted = values(record)
            identifier = getattr(record, key)
            stored = existing.get(identifier)
            if stored is None:
                new.append(model(**{key: identifier}, **wanted))
                report.created.append(identifier)
            elif _assign(stored, wanted):
                changed.append(stored)
                report.updated.append(identifier)
            else:
                report.unchanged.append(identifier)
        if dry_run:
            return report
        model.objects.bulk_create(new)
        if changed:
            model.objects.bulk_update(changed, list(values(accepted[0])), 1000)
        if by is not None:
            _log(model, key, by, report)
    return report


def _pk(row: models.Model | None) -> int | None:
    return None if row is None else row.pk


def _assign(stored: models.Model, wanted: dict) -> bool:
    """Set the wanted values on the stored row; tell whether any differed."""
    differs = False
    for name, value in wanted.items():
        if getattr(stored, name) != value:
            setattr(stored, name, value)
            differs = True
    return differs


def _log(model, key, by, report: ImportReport) -> None:
    """Record the import in each object's admin history."""
    # A JSON message is shown in the reader's language, plain text as written.
    for flag, keys, message in [
        (ADDITION, report.created, json.dumps([{"added": {}}])),
        (CHANGE, report.updated, _("Changed by an import from a file.")),
    ]:
        if keys:
            LogEntry.objects.log_actions(
                by.pk,
                model.objects.filter(**{f"{key}__in": keys}),
                flag,
                message,
            )
