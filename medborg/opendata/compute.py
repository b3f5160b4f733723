"""Compute the case indicators from a time-ordered stream of case events.

Pure: no ORM. ``opendata.services`` reads the events and writes the result.
The sweep keeps the set of open cases, so the backlog at the end of each month
is exact, and raw per-month, per-service tallies that add up to categories,
the municipality and quarters. Figures for a period depend only on the events
up to its end, so recomputing from any quarter's start (given the cases open
then) gives the same figures as recomputing everything.
"""

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo

from medborg.opendata.indicators import Granularity, Scope
from medborg.processes import deadlines

# Backlog age classes in days, for backlog_age_<low>_<high> (and _90: 90 up).
AGE_CLASSES = ((0, 6), (7, 29), (30, 89), (90, None))


class Fact(IntEnum):
    """What one event counts as; an event may count as several."""

    SUBMITTED = 1
    STEP_LEFT = 2
    CLOSED = 3
    REOPENED = 4
    DECIDED_AUTOMATICALLY = 5
    CHALLENGED = 6
    RATED = 7


@dataclass(frozen=True, slots=True)
class Event:
    """One case event as the sweep reads it."""

    at: datetime
    case_id: int
    service_id: int
    submitted_at: datetime
    facts: tuple[Fact, ...]
    channel: str = ""
    # Whether the event closed the case after its deadline; None: no deadline.
    late: bool | None = None
    step_late: bool | None = None
    automated: bool = False
    score: int | None = None


def _truthy(value) -> bool:
    # JSON booleans come back as true/1/"true" depending on the database.
    return value in (True, 1, "1", "true")


def _later(at: datetime, due) -> bool | None:
    # ``due`` is the recorded ISO text, or whether ``at`` is later, when the
    # database compared them already.
    if due is None or isinstance(due, bool):
        return due
    if not due:
        return None
    moment = due if isinstance(due, datetime) else datetime.fromisoformat(due)
    return at > moment


def classify(kind: str, at: datetime, data: dict) -> dict:
    """Return the facts of an event and its figures, from its kind and data.

    ``data`` holds the event data's keys the indicators read (status,
    organisation, due, step_due, automated, overrides_automated, reopened,
    score). See ``indicators`` for the definitions this implements.
    """
    facts = []
    figures = {}
    closing = (
        (kind == "case.moved" and data.get("status") == "closed")
        or kind == "case.duplicate"
        or (kind == "case.referred" and bool(data.get("organisation")))
    )
    if kind in {"case.moved", "case.duplicate", "case.referred"}:
        step_late = _later(at, data.get("step_due"))
        if step_late is not None:
            facts.append(Fact.STEP_LEFT)
            figures["step_late"] = step_late
    if closing:
        facts.append(Fact.CLOSED)
        figures["late"] = _later(at, data.get("due"))
        figures["automated"] = _truthy(data.get("automated"))
    if kind == "case.reopened" or (
        kind == "decision.appealed" and _truthy(data.get("reopened"))
    ):
        facts.append(Fact.REOPENED)
    if kind == "decision.made":
        facts.append(Fact.DECIDED_AUTOMATICALLY)
    if (kind == "decision.overridden" and _truthy(data.get("overrides_automated"))) or (
        kind == "decision.appealed" and _truthy(data.get("automated"))
    ):
        facts.append(Fact.CHALLENGED)
    if kind == "case.rated" and data.get("score") is not None:
        facts.append(Fact.RATED)
        figures["score"] = int(data["score"])
    if kind == "case.submitted":
        facts.append(Fact.SUBMITTED)
    return {"facts": tuple(facts), **figures}


class WorkingDays:
    """Working-day ordinals by local date, for counting between two dates fast."""

    def __init__(self, country: str):
        self.country = country
        self.first: date | None = None
        self.ordinals: list[int] = []

    def _cover(self, day: date) -> None:
        if self.first is None:
            self.first = day - timedelta(days=400)
        if day < self.first:
            self.first, self.ordinals = day - timedelta(days=400), []
        count = self.ordinals[-1] if self.ordinals else 0
        while len(self.ordinals) <= (day - self.first).days:
            current = self.first + timedelta(days=len(self.ordinals))
            count += deadlines.is_working_day(current, self.country)
            self.ordinals.append(count)

    def between(self, start: date, end: date) -> int:
        """Count working days after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        self._cover(start)
        self._cover(end)
        first = self.first
        return self.ordinals[(end - first).days] - self.ordinals[(start - first).days]


@dataclass
class Tally:
    """The raw counts of one service in one month; tallies add up."""

    received: Counter = field(default_factory=Counter)
    closed: int = 0
    calendar_days: array = field(default_factory=lambda: array("d"))
    working_days: array = field(default_factory=lambda: array("l"))
    with_deadline: int = 0
    on_time: int = 0
    steps_with_time: int = 0
    steps_on_time: int = 0
    reopened: int = 0
    closed_automatically: int = 0
    decided_automatically: int = 0
    challenged: int = 0
    scores: Counter = field(default_factory=Counter)
    # At the month's end: open cases by age class, [0] being all of them.
    backlog: list = field(default_factory=lambda: [0] * (len(AGE_CLASSES) + 1))

    def add(self, other: "Tally", *, backlog: bool) -> None:
        self.received.update(other.received)
        self.closed += other.closed
        self.calendar_days.extend(other.calendar_days)
        self.working_days.extend(other.working_days)
        self.with_deadline += other.with_deadline
        self.on_time += other.on_time
        self.steps_with_time += other.steps_with_time
        self.steps_on_time += other.steps_on_time
        self.reopened += other.reopened
        self.closed_automatically += other.closed_automatically
        self.decided_automatically += other.decided_automatically
        self.challenged += other.challenged
        self.scores.update(other.scores)
        if backlog:
            self.backlog = [
                a + b for a, b in zip(self.backlog, other.backlog, strict=True)
            ]


def month_of(day: date) -> date:
    return day.replace(day=1)


def quarter_of(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def period_name(start: date, granularity: Granularity) -> str:
    if granularity == Granularity.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


class Sweep:
    """Walk events in time order, keeping open cases and per-month tallies.

    ``open_cases`` are the cases open at ``start`` (case id → (service id,
    submitted at)); ``until`` is the moment the last period's backlog is
    taken at (now, for the running month).
    """

    def __init__(
        self,
        *,
        start: date,
        until: datetime,
        time_zone: str,
        country: str,
        open_cases: dict[int, tuple[int, datetime]] | None = None,
    ):
        self.zone = ZoneInfo(time_zone)
        self.month = month_of(start)
        self.until = until
        self.open = dict(open_cases or {})
        self.tallies: dict[tuple[date, int], Tally] = {}
        self.working = WorkingDays(country)

    def tally(self, month: date, service_id: int) -> Tally:
        key = (month, service_id)
        if key not in self.tallies:
            self.tallies[key] = Tally()
        return self.tallies[key]

    def _end_month(self, end: datetime) -> None:
        """Take the backlog of the month now ending, at ``end``."""
        for service_id, submitted_at in self.open.values():
            backlog = self.tally(self.month, service_id).backlog
            backlog[0] += 1
            age = (end - submitted_at).days
            for position, (low, high) in enumerate(AGE_CLASSES, start=1):
                if age >= low and (high is None or age <= high):
                    backlog[position] += 1
        self.month = next_month(self.month)

    def _month_end(self) -> datetime:
        following = next_month(self.month)
        return datetime(following.year, following.month, 1, tzinfo=self.zone)

    def run(self, events: Iterable[Event]) -> dict[tuple[date, int], Tally]:
        # Comparing with the month's end avoids a time-zone conversion per event.
        boundary = self._month_end()
        for event in events:
            while event.at >= boundary:
                self._end_month(boundary)
                boundary = self._month_end()
            self._count(event)
        last = month_of(self.until.astimezone(self.zone).date())
        while self.month <= last:
            self._end_month(min(self._month_end(), self.until))
        return self.tallies

    def _count(self, event: Event) -> None:
        tally = self.tally(self.month, event.service_id)
        for fact in event.facts:
            if fact == Fact.SUBMITTED:
                tally.received[event.channel] += 1
                self.open[event.case_id] = (event.service_id, event.submitted_at)
            elif fact == Fact.CLOSED:
                self._closed(tally, event)
            elif fact == Fact.STEP_LEFT:
                tally.steps_with_time += 1
                tally.steps_on_time += not event.step_late
            elif fact == Fact.REOPENED:
                tally.reopened += 1
                self.open[event.case_id] = (event.service_id, event.submitted_at)
            elif fact == Fact.DECIDED_AUTOMATICALLY:
                tally.decided_automatically += 1
            elif fact == Fact.CHALLENGED:
                tally.challenged += 1
            elif fact == Fact.RATED:
                tally.scores[event.score] += 1

    def _closed(self, tally: Tally, event: Event) -> None:
        self.open.pop(event.case_id, None)
        tally.closed += 1
        tally.calendar_days.append(
            (event.at - event.submitted_at).total_seconds() / 86400
        )
        submitted = event.submitted_at.astimezone(self.zone).date()
        closed = event.at.astimezone(self.zone).date()
        tally.working_days.append(self.working.between(submitted, closed))
        if event.late is not None:
            tally.with_deadline += 1
            tally.on_time += not event.late
        tally.closed_automatically += event.automated


def percentile(values, share: float) -> float | None:
    """Interpolate between the closest ranks (as a spreadsheet's PERCENTILE.INC)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _share(part: int, whole: int) -> tuple[float | None, int]:
    return (100 * part / whole if whole else None), whole


CHANNEL_INDICATORS = {
    "web": "received_web",
    "api": "received_api",
    "open311": "received_api",
    "sensor": "received_sensor",
    "staff": "received_staff",
}


def figures(tally: Tally) -> Iterator[tuple[str, float | None, int]]:
    """Yield (indicator id, value, count) for the case indicators of a tally."""
    total = sum(tally.received.values())
    yield "received", total, total
    by_indicator = Counter()
    for channel, count in tally.received.items():
        by_indicator[CHANNEL_INDICATORS.get(channel, "received_web")] += count
    for indicator in (
        "received_web",
        "received_api",
        "received_sensor",
        "received_staff",
    ):
        yield indicator, by_indicator[indicator], by_indicator[indicator]
    yield "closed", tally.closed, tally.closed
    for name, values in (
        ("days", tally.calendar_days),
        ("workdays", tally.working_days),
    ):
        yield f"processing_{name}_median", percentile(values, 0.5), len(values)
        yield f"processing_{name}_p90", percentile(values, 0.9), len(values)
    yield "within_deadline_share", *_share(tally.on_time, tally.with_deadline)
    yield "within_step_time_share", *_share(tally.steps_on_time, tally.steps_with_time)
    yield "backlog", tally.backlog[0], tally.backlog[0]
    for (low, high), count in zip(AGE_CLASSES, tally.backlog[1:], strict=True):
        name = f"backlog_age_{low}_{high}" if high is not None else f"backlog_age_{low}"
        yield name, count, count
    yield "reopened_share", *_share(tally.reopened, tally.closed)
    yield "automated_share", *_share(tally.closed_automatically, tally.closed)
    yield (
        "automated_challenged_share",
        *_share(tally.challenged, tally.decided_automatically),
    )
    answers = sum(tally.scores.values())
    mean = sum(s * n for s, n in tally.scores.items()) / answers if answers else None
    yield "satisfaction_mean", mean, answers
    for score in range(1, 6):
        yield f"satisfaction_{score}", tally.scores[score], tally.scores[score]


def rollup(
    tallies: dict[tuple[date, int], Tally],
    *,
    scopes: dict[int, tuple[str, str]],
    months: list[date],
) -> Iterator[tuple[Granularity, date, Scope, str, Tally]]:
    """Add the service-month tallies up to every scope and granularity.

    ``scopes`` maps every service id to (service code, category key);
    ``months`` are the months computed, in order. Every scope gets every
    period, so a service without cases in a month shows 0, not a gap. The
    backlog of a quarter is the one at the end of its last month computed.
    Works one quarter at a time, so memory holds one quarter's tallies.
    """
    quarters: dict[date, list[date]] = {}
    for month in months:
        quarters.setdefault(quarter_of(month), []).append(month)
    for quarter, in_quarter in quarters.items():
        combined: dict[tuple, Tally] = {}
        for month in in_quarter:
            for service_id, (code, category) in scopes.items():
                tally = tallies.get((month, service_id)) or Tally()
                for scope, key in (
                    (Scope.SERVICE, code),
                    (Scope.CATEGORY, category),
                    (Scope.MUNICIPALITY, ""),
                ):
                    for granularity, start, backlog in (
                        (Granularity.MONTH, month, True),
                        (Granularity.QUARTER, quarter, month == in_quarter[-1]),
                    ):
                        target = combined.setdefault(
                            (granularity, start, scope, key), Tally()
                        )
                        target.add(tally, backlog=backlog)
        for (granularity, start, scope, key), tally in combined.items():
            yield granularity, start, scope, key, tally
