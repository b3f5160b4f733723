"""Open and close the cases that empty a bin or fix its sensor.

A bin-emptying case is a case of the service ``EMPTYING_SERVICE`` made through
``medborg.cases.services.submit_case`` on the sensor channel, linked to its
bin by a ``BinCase``. Every service here is atomic and locks the bin row
first, so two evaluations of one bin (two workers, a driver and a reading)
run one after the other; the database constraint ``bin_case_one_open_per_kind``
backs that up: never two open cases of one kind for one bin.

When a case opens or closes is described, with an example, in docs/bins.md.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from medborg.cases import services as cases
from medborg.cases.lifecycle import is_open
from medborg.cases.models import Case, Channel
from medborg.catalog.models import Service
from medborg.processes.models import Outcome
from medborg.sensors import faults, forecast, selectors
from medborg.sensors.models import Bin, BinCase, BinCaseReason, Device, Reading

logger = logging.getLogger(__name__)

# Known to callers as emptying.Reason; defined with the model it describes.
Reason = BinCaseReason

EMPTYING_SERVICE = "bin-emptying"
FAULT_SERVICE = "sensor-fault"
# Citizens' reports on this service join the nearest bin's emptying case.
CITIZEN_REPORT_SERVICE = "overfull-bin"
# The citizen's answers to "What is wrong?" that mean the bin needs emptying;
# a damaged or missing bin is a matter for the report's own team.
CITIZEN_FULL_ANSWERS = {"overfull", "both"}


@dataclass
class Evaluation:
    """What one evaluation did to one bin, for logs and tests."""

    bin_id: int
    opened: str = ""
    closed: str = ""
    faults: dict[str, str] = field(default_factory=dict)


def _lock(bin: Bin) -> Bin:
    return Bin.objects.select_for_update().get(pk=bin.pk)


def _service(code: str) -> Service:
    return Service.objects.select_related("process").get(code=code)


def _answers(service: Service, candidates: dict) -> dict:
    """Keep the answers the service asks for: an administrator may edit its form."""
    keys = set(service.questions.values_list("key", flat=True))
    return {key: value for key, value in candidates.items() if key in keys}


def _submit(*, service_code, bin, answers, by) -> Case:
    service = _service(service_code)
    submission = cases.submit_case(
        service=service,
        answers=_answers(service, answers),
        latitude=bin.latitude,
        longitude=bin.longitude,
        address=bin.name,
        language=settings.LANGUAGE_CODE,
        channel=Channel.SENSOR,
        by=by,
    )
    return submission.case


def _open_link(bin: Bin, kind: str) -> BinCase | None:
    return (
        BinCase.objects.select_related("case")
        .filter(bin=bin, kind=kind, is_open=True)
        .first()
    )


@transaction.atomic
def open_emptying_case(
    *, bin: Bin, reason: str, by=None, fill_percent: float | None = None
) -> Case:
    """Open the bin's emptying case, or return the one already open.

    Locks the bin row, so concurrent callers get the same case. ``reason`` is
    one of the ``Reason`` values that open a case; ``fill_percent`` goes into
    the case's answers when known.
    """
    bin = _lock(bin)
    existing = _open_link(bin, BinCase.Kind.EMPTYING)
    if existing is not None:
        return existing.case
    answers = {"bin": bin.code, "reason": reason}
    if fill_percent is not None:
        answers["fill-level"] = round(fill_percent)
    case = _submit(service_code=EMPTYING_SERVICE, bin=bin, answers=answers, by=by)
    BinCase.objects.create(
        bin=bin,
        case=case,
        kind=BinCase.Kind.EMPTYING,
        opened_at=case.submitted_at,
        reason=reason,
    )
    logger.info("bin case opened bin=%s case=%s reason=%s", bin.code, case, reason)
    return case


def _close_message(reason: str) -> str:
    if reason == Reason.DRIVER:
        return _("The bin was emptied by the collection crew.")
    return _("The bin's sensor shows that it has been emptied.")


def _close(link: BinCase, *, outcome: str, message: str, by, now) -> Case:
    """Move the linked case to its outcome step, unless staff closed it already."""
    case = link.case
    if is_open(case.status):
        step = case.process.steps.filter(outcome=outcome).order_by("position").first()
        with translation.override(case.language):
            text = str(message)
        case = cases.move_case_to_step(case=case, step=step, public_message=text, by=by)
    link.is_open = False
    link.closed_at = now
    link.closed_by = by
    link.save(update_fields=["is_open", "closed_at", "closed_by"])
    return case


@transaction.atomic
def close_emptying_case(*, bin: Bin, by=None, reason: str) -> Case | None:
    """Close the bin's open emptying case as emptied; None when none is open.

    ``reason`` is ``"emptied_reading"`` (a reading showed the drop) or
    ``"driver"`` (the crew marked the stop emptied). The case moves to its
    process's resolved step with a public message; a case that staff already
    closed only has its link closed. Raises StepNotAllowed when the case's
    current step may not move to the resolved step.
    """
    if reason not in {Reason.EMPTIED_READING, Reason.DRIVER}:
        raise ValueError(f"Unknown reason for emptying: {reason!r}")
    bin = _lock(bin)
    link = _open_link(bin, BinCase.Kind.EMPTYING)
    if link is None:
        return None
    case = _close(
        link,
        outcome=Outcome.RESOLVED,
        message=_close_message(reason),
        by=by,
        now=timezone.now(),
    )
    logger.info("bin case closed bin=%s case=%s reason=%s", bin.code, case, reason)
    return case


@transaction.atomic
def open_fault_case(*, device: Device, fault: str, by=None) -> Case | None:
    """Open the operators' case for the device's bin, or return the open one.

    None for a device outside any bin (nothing to link the case to).
    """
    if device.bin_id is None:
        return None
    bin = _lock(device.bin)
    existing = _open_link(bin, BinCase.Kind.FAULT)
    if existing is not None:
        return existing.case
    case = _submit(
        service_code=FAULT_SERVICE,
        bin=bin,
        answers={"sensor": device.identifier, "fault": fault},
        by=by,
    )
    BinCase.objects.create(
        bin=bin,
        case=case,
        kind=BinCase.Kind.FAULT,
        opened_at=case.submitted_at,
        reason=fault,
    )
    logger.info("fault case opened device=%s case=%s fault=%s", device, case, fault)
    return case


@transaction.atomic
def close_fault_case(*, bin: Bin, by=None) -> Case | None:
    """Close the bin's open fault case as repaired; None when none is open."""
    bin = _lock(bin)
    link = _open_link(bin, BinCase.Kind.FAULT)
    if link is None:
        return None
    return _close(
        link,
        outcome=Outcome.RESOLVED,
        message=_("The sensor reports normally again."),
        by=by,
        now=timezone.now(),
    )


def _changing_devices(now: datetime) -> set[int]:
    """Devices whose readings changed during the last ``STUCK_HOURS`` hours."""
    from django.db.models import Max, Min

    since = now - timedelta(hours=faults.STUCK_HOURS)
    rows = (
        Reading.objects.filter(measured_at__gt=since, measured_at__lte=now)
        .values("device_id")
        .annotate(low=Min("fill_percent"), high=Max("fill_percent"))
    )
    return {row["device_id"] for row in rows if row["high"] > row["low"]}


def _judge_devices(
    bin: Bin, readings, now, changing: set[int], result, *, fault_open: bool
) -> bool:
    """Record each device's fault and open or close the fault case; True if faulty."""
    faulty = False
    for device in Device.objects.filter(bin=bin).order_by("pk"):
        own = [(at, fill) for at, fill, device_id in readings if device_id == device.pk]
        # A sensor never heard from counts as silent from when it was added.
        seen = [at for at in (device.last_seen_at, own and own[-1][0]) if at]
        fault = faults.detect(
            own,
            last_seen=max(seen) if seen else device.created_at,
            battery=device.battery_percent,
            now=now,
            silence_hours=settings.SENSOR_SILENCE_HOURS,
            others_changed=bool(changing - {device.pk}),
        )
        fault = str(fault) if fault else ""
        if fault != device.fault:
            device.fault = fault
            device.fault_since = now if fault else None
            device.save(update_fields=["fault", "fault_since"])
        if fault:
            result.faults[device.identifier] = fault
            open_fault_case(device=device, fault=fault)
            faulty = True
    if not faulty and fault_open:
        close_fault_case(bin=bin)
    return faulty


def _decide(
    bin: Bin, pairs, now, result: Evaluation, *, faulty: bool, case_open: bool
) -> None:
    link = _open_link(bin, BinCase.Kind.EMPTYING) if case_open else None
    outlook = forecast.forecast(pairs, threshold=bin.threshold_percent)
    if outlook is None:
        return
    if link is not None and not is_open(link.case.status):
        # Staff closed the case on their own: let the bin get a new one.
        link.is_open = False
        link.closed_at = now
        link.save(update_fields=["is_open", "closed_at"])
        link = None
    if link is not None:
        if outlook.emptied_at and outlook.emptied_at > link.opened_at:
            close_emptying_case(bin=bin, reason=Reason.EMPTIED_READING)
            result.closed = Reason.EMPTIED_READING
        return
    # A faulty sensor's levels decide nothing: the operators' case says why.
    if faulty:
        return
    if outlook.fill_percent >= bin.threshold_percent:
        reason = Reason.THRESHOLD
    else:
        next_day = forecast.next_collection(
            weekdays=bin.window_weekdays,
            window_start=bin.window_start,
            now=timezone.localtime(now),
            collection_weekday=bin.round_weekday,
        )
        crosses = outlook.crosses_at
        if not (crosses and next_day and crosses <= next_day):
            return
        reason = Reason.FORECAST
    open_emptying_case(bin=bin, reason=reason, fill_percent=outlook.fill_percent)
    result.opened = reason


def evaluate_bins(*, bin_ids: list[int], now: datetime | None = None):
    """Judge each bin's sensors and fill level; open or close its cases.

    Each bin is evaluated in its own transaction with its row locked, so one
    bin's failure leaves the others done and two evaluations of one bin
    cannot race. Inactive bins are skipped. Returns one ``Evaluation`` per
    bin evaluated, in id order.
    """
    now = now or timezone.now()
    changing = _changing_devices(now)
    # Read before the locks to save a query per bin: a case opened meanwhile
    # is found again under the lock, one closed meanwhile is simply not found.
    open_links = set(
        BinCase.objects.filter(is_open=True, bin_id__in=bin_ids).values_list(
            "bin_id", "kind"
        )
    )
    results = []
    for bin_id in sorted(set(bin_ids)):
        with transaction.atomic():
            bin = Bin.objects.select_for_update().filter(pk=bin_id, active=True).first()
            if bin is None:
                continue
            result = Evaluation(bin_id=bin.pk)
            rows = (
                Reading.objects.filter(
                    bin=bin,
                    measured_at__gt=now - timedelta(days=selectors.HISTORY_DAYS),
                    measured_at__lte=now,
                )
                .order_by("measured_at", "device_id")
                .values_list("measured_at", "fill_percent", "device_id")
            )
            readings = [(timezone.localtime(at), f, d) for at, f, d in rows]
            faulty = _judge_devices(
                bin,
                readings,
                now,
                changing,
                result,
                fault_open=(bin.pk, BinCase.Kind.FAULT) in open_links,
            )
            pairs = [(at, fill) for at, fill, _ in readings]
            _decide(
                bin,
                pairs,
                now,
                result,
                faulty=faulty,
                case_open=(bin.pk, BinCase.Kind.EMPTYING) in open_links,
            )
            results.append(result)
    return results


def wants_emptying(case: Case) -> bool:
    """True for a citizen's report on the citizen service that says the bin is full."""
    if case.service.code != CITIZEN_REPORT_SERVICE or case.latitude is None:
        return False
    problem = case.answers.get("problem")
    return problem is None or problem in CITIZEN_FULL_ANSWERS


@transaction.atomic
def join_citizen_report(*, case: Case, by=None) -> Case | None:
    """Join a citizen's overfull-bin report to the nearest bin's emptying case.

    The nearest active bin within ``BIN_REPORT_RADIUS_METRES`` gets its open
    emptying case, or a new one (reason "citizen"); the citizen's case is
    marked a duplicate of it, so the citizen follows the live case. Returns
    the emptying case, or None when no bin is near, the report is not about
    a full bin, or the citizen's case is no longer open (idempotent: a retry
    after the join does nothing).
    """
    case = Case.objects.select_related("service").get(pk=case.pk)
    if not wants_emptying(case) or not is_open(case.status):
        return None
    bin = selectors.nearest_bin(
        latitude=case.latitude,
        longitude=case.longitude,
        radius_m=settings.BIN_REPORT_RADIUS_METRES,
    )
    if bin is None:
        return None
    emptying = open_emptying_case(bin=bin, reason=Reason.CITIZEN, by=by)
    with translation.override(case.language):
        message = _(
            "This bin is already due to be emptied. Follow case %(reference)s."
        ) % {"reference": emptying.reference}
    cases.mark_duplicate(case=case, original=emptying, public_message=message, by=by)
    logger.info("citizen report joined case=%s bin=%s", case.reference, bin.code)
    return emptying
