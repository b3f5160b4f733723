"""Write a synthetic history of past cases and their events, for demos and benchmarks.

The open-data indicators are computed from case events, so showing the cockpit
and measuring it need years of cases. The history keeps the data contract of
the case services (``cases.services``, ``rules.services``): each event carries
what they record, and each case row is left in the step, status and due dates
its last event gives it. No event lies after ``end`` or in the future.

Nothing personal is invented: no contact, no free text, no address; places are
random points in the zones. The token hash is made up (a random prefix and the
case id) and no token hashes to it, so no synthetic case can be tracked.
References have their own prefix (``HIS-2025-0000001``) and never meet real
ones. The same seed gives the same history on the same database state (the
database hands out the ids).
"""

import bisect
import json
import math
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, islice
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

import shapely
from shapely.geometry import shape

from medborg.cases.lifecycle import Status
from medborg.cases.models import Case, CaseEvent, Channel
from medborg.catalog.models import Service, Zone
from medborg.municipality import working_calendar
from medborg.processes import deadlines
from medborg.processes.models import Outcome, Step

PREFIX = "HIS"
# Weights are cumulative, as ``random.choices`` takes them: web 60 %, API 10 %,
# Open311 10 %, staff 15 % (sensors: the other 5 %, tasks only); scores 1–5.
CHANNELS, CHANNEL_WEIGHTS = ("web", "api", "open311", "staff"), (60, 70, 80, 95)
TASK_SHARE, LOCATED_SHARE, MAIN_LANGUAGE_SHARE = 0.05, 0.7, 0.85
DUPLICATE_SHARE, REFERRED_SHARE, REJECTED_SHARE = 0.03, 0.02, 0.15
AUTOMATED_SHARE, OVERRIDDEN_SHARE, APPEALED_SHARE = 0.15, 0.04, 0.02
REOPENED_SHARE, RATED_SHARE, INFO_SHARE = 0.03, 0.25, 0.05
SCORE_WEIGHTS = (5, 12, 24, 54, 100)
REFERRAL_ORGANISATION = "Trafikverket"
# Processing time in working days: lognormal around 0.4 × the service's
# deadline (4 days for the usual 10), with a long tail.
MEDIAN_SHARE_OF_DEADLINE, MEDIAN_DAYS, SIGMA = 0.4, 4.0, 0.9
# Open at ``end``: a few cases of every age, most of the recent ones.
OPEN_BASE, OPEN_RECENT, OPEN_DAYS = 0.015, 0.9, 75
STOP_SHARE, BACK_SHARE, MAX_MOVES = 0.5, 0.03, 8
WORK_START, WORK_HOURS, PLACES_PER_ZONE = 8, 8.5, 20_000
# Submissions by hour (cumulative): office hours on working days, flatter on
# days off.
HOURS_ON = list(accumulate([1] * 6 + [4, 12] + [30] * 9 + [16] * 5 + [8, 4]))
HOURS_OFF = list(accumulate([1] * 7 + [4] + [14] * 10 + [12] * 4 + [6, 4]))
CLOSED, IN_PROGRESS = str(Status.CLOSED), str(Status.IN_PROGRESS)
HOUR, DAY = 3600, 86400
_encode = json.JSONEncoder(check_circular=False).encode
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
Kind = CaseEvent.Kind


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class _Due(NamedTuple):
    """A due date, with its ISO 8601 text made once for the many events using it."""

    moment: datetime
    iso: str
    day: date


def _iso(due: _Due | None) -> str | None:
    return due.iso if due is not None else None


class _Step:
    def __init__(self, step: Step, service: Service):
        self.id, self.key, self.position = step.pk, step.key, step.position
        self.outcome, self.expected_days = step.outcome, step.expected_days
        self.team_id, self.next = step.team_id or service.team_id, step.next_steps

    def link(self, steps: dict) -> None:
        """Sort the steps it may move to: final ones by outcome, on and back."""
        options = [steps[key] for key in self.next if key in steps]
        self.finals = {}
        for step in options:
            self.finals.setdefault(step.outcome or None, step)
        self.finals.pop(None, None)
        moves = [step for step in options if not step.outcome]
        self.ahead = [step for step in moves if step.position > self.position]
        self.back = [step for step in moves if step.position < self.position]


class _Flow:
    """A service and its process, as far as the stories need them."""

    def __init__(self, service: Service, steps: list[Step]):
        self.service, self.is_task = service, service.kind == Service.Kind.TASK
        self.steps = {step.key: _Step(step, service) for step in steps}
        for step in self.steps.values():
            step.link(self.steps)
        self.first = self.steps[steps[0].key]
        self.located = 0.0 if service.location == Service.Location.NONE else 1.0
        self.automated = service.automation != Service.Automation.OFF and bool(
            service.decision_table_id
        )
        key = service.decision_step
        self.decision_step = key if key in self.steps else self.first.key

    def final(self, outcome: str) -> _Step | None:
        return next((s for s in self.steps.values() if s.outcome == outcome), None)


def _flows() -> list[_Flow]:
    steps = {}
    for step in Step.objects.order_by("process_id", "position"):
        steps.setdefault(step.process_id, []).append(step)
    services = Service.objects.order_by("position", "pk")
    return [_Flow(s, steps[s.process_id]) for s in services if s.process_id in steps]


class _Calendar:
    """Working days and due dates in the municipality's calendar, cached per day."""

    def __init__(self, first: date, last: date):
        self.kwargs = working_calendar()
        self.zone = ZoneInfo(self.kwargs["time_zone"])
        every = (first + timedelta(days=n) for n in range((last - first).days + 1))
        self.days = [day for day in every if self.working(day)]
        self._dues, self._dates, self._midnights = {}, {}, {}

    def working(self, day: date) -> bool:
        return deadlines.is_working_day(day, self.kwargs["country"])

    def local(self, timestamp: float) -> date:
        # Swedish and Danish time differ from UTC by whole hours, so the local
        # date is the same all through an hour of UTC.
        hour = int(timestamp // HOUR)
        if hour not in self._dates:
            self._dates[hour] = datetime.fromtimestamp(timestamp, self.zone).date()
        return self._dates[hour]

    def at(self, day: date, hour: float = 0) -> float:
        """The moment ``hour`` hours after the local ``day`` began."""
        if day not in self._midnights:
            midnight = datetime.combine(day, time(), tzinfo=self.zone)
            self._midnights[day] = midnight.timestamp()
        return self._midnights[day] + hour * HOUR

    def due(self, day: date, days: int | None) -> _Due | None:
        """``deadlines.add_working_days`` from the local ``day``, cached."""
        if days is None:
            return None
        key = (day, days)
        if key not in self._dues:
            start = datetime.combine(day, time(12), tzinfo=self.zone)
            due = deadlines.add_working_days(start, days, **self.kwargs)
            self._dues[key] = _Due(due, due.isoformat(), due.date())
        return self._dues[key]

    def later(self, day: date, count: int) -> date | None:
        """The ``count``-th working day after ``day``; None past the calendar."""
        index = bisect.bisect_right(self.days, day) + count - 1
        return self.days[index] if index < len(self.days) else None

    def between(self, start: float, end: float) -> int:
        """``deadlines.working_days_between``, within the calendar's days."""
        count = bisect.bisect_right(self.days, self.local(end))
        return max(0, count - bisect.bisect_right(self.days, self.local(start)))


class _Story:
    """One case's events and the state they leave it in; nothing after ``cap``.

    Moments are POSIX timestamps: the arithmetic of a million stories is
    faster on floats than on datetimes.
    """

    def __init__(self, flow: _Flow, cal: _Calendar, at: float, channel: str, cap):
        self.flow, self.cal, self.cap, self.events = flow, cal, cap, []
        self.at = self.entered = self.updated = at
        self.step, self.before, self.hold, self.closed_at = flow.first, None, None, None
        self.status, self.decision, self.duplicate_of = Status.SUBMITTED, None, None
        day = cal.local(at)
        self.step_due = cal.due(day, flow.first.expected_days)
        self.due = cal.due(day, flow.service.deadline_days)
        data = {"channel": channel, "step": self.step.key, "due": _iso(self.due)}
        self.add(Kind.SUBMITTED, at, data)

    @property
    def closed(self) -> bool:
        return self.status == Status.CLOSED

    def add(self, kind: str, at: float, data: dict, *, public=True) -> bool:
        """Append the event, or end the story here if it lies after ``cap``."""
        if at > self.cap:
            self.cap = self.at
            return False
        self.at = at = max(at, self.at)
        self.events.append((kind, at, public, data))
        if kind != Kind.RATED:
            self.updated = at
        return True

    def in_force(self) -> dict:
        return {"due": _iso(self.due), "step_due": _iso(self.step_due)}

    def enter(self, step: _Step | None) -> None:
        """Take the step (None: close where the case is), as ``_enter_step`` does."""
        if not self.step.outcome:
            self.before = self.step.key
        self.step, self.entered = step or self.step, self.at
        final = step is None or bool(step.outcome)
        day = self.cal.local(self.at)
        self.step_due = None if final else self.cal.due(day, step.expected_days)
        self.status = Status.CLOSED if final else Status.IN_PROGRESS
        self.closed_at = self.at if final else None

    def move(self, step: _Step, at: float, **extra) -> bool:
        data = {
            "from": self.step.key,
            "to": step.key,
            "status": CLOSED if step.outcome else IN_PROGRESS,
            "outcome": step.outcome,
            "due": _iso(self.due),
            "step_due": _iso(self.step_due),
            **extra,
        }
        return self.add(Kind.MOVED, at, data) and not self.enter(step)

    def close_as(self, kind: str, outcome: str, at: float, **extra) -> bool:
        """Close as a duplicate or referred, in the process's step for it if any."""
        step = self.flow.final(outcome)
        data = {**extra, "step": (step or self.step).key, **self.in_force()}
        return self.add(kind, at, data) and not self.enter(step)

    def ask(self, asked: float, answered: float) -> None:
        """Wait for the citizen; the answer gives back the working days held."""
        if not self.add(Kind.INFO_REQUESTED, asked, {"step": self.step.key}):
            return
        self.status, self.hold = Status.WAITING_FOR_CITIZEN, self.at
        held = self.cal.between(self.hold, answered)
        due, step_due = self.due, self.step_due
        if held:
            due = due and self.cal.due(due.day, held)
            step_due = step_due and self.cal.due(step_due.day, held)
        data = {
            "held_from": _moment(self.hold).isoformat(),
            "held_until": _moment(max(answered, self.hold)).isoformat(),
            "working_days_on_hold": held,
            "step_due_at": _iso(step_due),
            "due_at": _iso(due),
        }
        if self.add(Kind.INFO_RECEIVED, answered, data):
            self.due, self.step_due, self.hold = due, step_due, None
            self.status = Status.IN_PROGRESS

    def reopen(self, at: float, key: str) -> bool:
        if not self.add(Kind.REOPENED, at, {"from": self.step.key, "to": key}):
            return False
        self.enter(self.flow.steps[key])
        self.status, self.duplicate_of = Status.REOPENED, None
        self.due = self.cal.due(
            self.cal.local(self.at), self.flow.service.deadline_days
        )
        return True

    def appeal(self, at: float, key: str) -> bool:
        data = {"decision": self.decision[0], "step": key, "automated": True}
        if not self.add(Kind.APPEALED, at, data | {"reopened": True}):
            return False
        self.enter(self.flow.steps[key])
        self.due, self.duplicate_of = self.step_due, None
        return True


def _pick(rng: random.Random, population, cumulative: list):
    """``rng.choices(population, cum_weights=cumulative)[0]``, without its checks."""
    return population[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _path(flow: _Flow, rng: random.Random, key: str, outcome: str | None) -> list:
    """The steps a case passes from ``key``: on, rarely back once, and for an
    ``outcome`` the final step with it (without one it stops on the way)."""
    step, path, went_back = flow.steps[key], [], False
    for _ in range(MAX_MOVES):
        final = step.finals.get(outcome)
        if outcome and not (final or step.ahead):
            # The outcome is out of reach from here: the case ends otherwise.
            final = next(iter(step.finals.values()), None)
        if final and (not step.ahead or rng.random() < STOP_SHARE):
            return [*path, final]
        if not step.ahead or (outcome is None and rng.random() < STOP_SHARE):
            return path
        turn = bool(step.back) and not went_back and rng.random() < BACK_SHARE
        step = rng.choice(step.back if turn else step.ahead)
        went_back = went_back or turn
        path.append(step)
    return path


class _Maker:
    """Draw the cases and tell their stories, in the order they came in."""

    def __init__(self, rng: random.Random, start: date, end: date, cap: float):
        self.rng, self.end, self.cap = rng, end, cap
        self.numbers, self.originals, self.run = {}, {}, rng.getrandbits(64)
        self.cal = _Calendar(start - timedelta(days=7), end + timedelta(days=400))
        self.flows = _flows()
        if not self.flows:
            raise ValueError("No services with a process: load the catalog first.")
        self.reports = [f for f in self.flows if not f.is_task] or self.flows
        self.tasks = [f for f in self.flows if f.is_task]
        self.seasons = [self._season(month) for month in range(12)]
        main = settings.LANGUAGE_CODE
        self.languages = [main, *(c for c, _n in settings.LANGUAGES if c != main)]
        self.places = [
            self._places(shape(zone.geometry)) for zone in Zone.objects.all()
        ]
        count = len(self.places)
        self.place_weights = list(accumulate(1 / n for n in range(1, count + 1)))

    def _season(self, month: int) -> list[float]:
        """Cumulative weights of the report services in a month (0–11)."""
        weights = []
        for flow in self.reports:
            draw = random.Random(flow.service.code)  # noqa: S311 - not a secret
            base, peak, swing = draw.uniform(0.4, 2), draw.randrange(12), draw.random()
            angle = math.pi * (month - peak) / 6
            weights.append(base * (1 + 0.5 * swing * math.cos(angle)))
        return list(accumulate(weights))

    def _places(self, area) -> list[tuple[float, float]]:
        """Random points in the zone, drawn once: the cases are placed among them."""
        west, south, east, north = area.bounds
        xs = [self.rng.uniform(west, east) for _ in range(PLACES_PER_ZONE)]
        ys = [self.rng.uniform(south, north) for _ in range(PLACES_PER_ZONE)]
        inside = shapely.contains_xy(area, xs, ys)
        return [
            (round(y, 6), round(x, 6))
            for x, y, i in zip(xs, ys, inside, strict=True)
            if i
        ]

    def submissions(self, cases: int, start: date, end: date):
        """Yield (moment, flow, channel) in time order: fewer on days off, some
        seasons busier, and a slow growth over the period."""
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        weights = list(
            accumulate(
                (1 if self.cal.working(day) else 0.45)
                * (1 + 0.2 * math.sin(math.tau * (day.timetuple().tm_yday - 80) / 365))
                * (1 + 0.15 * n / len(days))
                for n, day in enumerate(days)
            )
        )
        made = 0
        for day, running in zip(days, weights, strict=True):
            count = round(cases * running / weights[-1]) - made
            made += count
            drawn = (self._submission(day) for _ in range(count))
            yield from sorted(drawn, key=lambda submission: submission[0])

    def _submission(self, day: date) -> tuple:
        rng, working = self.rng, self.cal.working(day)
        if self.tasks and rng.random() < TASK_SHARE:
            flow, channel = rng.choice(self.tasks), str(Channel.SENSOR)
        else:
            flow = _pick(rng, self.reports, self.seasons[day.month - 1])
            channel = _pick(rng, CHANNELS, CHANNEL_WEIGHTS)
        if channel == Channel.STAFF and working:
            hour = rng.randrange(8, 16)
        else:
            hours = HOURS_ON if working else HOURS_OFF
            hour = _pick(rng, range(24), hours)
        midnight, hours = self.cal.at(day), hour + rng.random()
        if day == self.cal.local(self.cap):
            # Today: squeezed into the hours gone by, so nothing is in the future.
            hours *= (self.cap - midnight) / DAY
        return midnight + hours * HOUR, flow, channel

    def _later(self, moment: float, low: float, high: float) -> float:
        return moment + self.rng.uniform(low, high) * DAY

    def _outcome(self) -> str:
        rejected = self.rng.random() < REJECTED_SHARE
        return Outcome.REJECTED if rejected else Outcome.RESOLVED

    def _closing(self, flow: _Flow, at: float) -> float:
        """When the case would close: a lognormal number of working days later."""
        median, deadline = MEDIAN_DAYS, flow.service.deadline_days
        if deadline:
            median = max(0.5, MEDIAN_SHARE_OF_DEADLINE * deadline)
        days = self.rng.lognormvariate(math.log(median), SIGMA)
        if days < 1:
            return at + days * WORK_HOURS * HOUR
        day = self.cal.later(self.cal.local(at), int(days))
        if day is None:
            return self.cap + 365 * DAY
        return self.cal.at(day, WORK_START + days % 1 * WORK_HOURS)

    def _times(self, story: _Story, closing: float, count: int) -> list[float]:
        """``count`` moments up to ``closing``; a wait for the citizen, now and then."""
        start, rng = story.at, self.rng
        span = closing - start
        times = sorted(start + span * rng.random() for _ in range(count - 1))
        times.append(closing)
        if rng.random() < INFO_SHARE:
            asked, wait = start + (times[0] - start) * 0.3, rng.uniform(0.5, 8) * DAY
            story.ask(asked, asked + wait)
            times = [moment + wait for moment in times]
        return times

    def tell(self, case_id: int, flow: _Flow, at: float, channel: str) -> _Story:
        """Play one case from submission to ``cap``: moves, closing and after."""
        story, rng = _Story(flow, self.cal, at, channel, self.cap), self.rng
        closing = self._closing(flow, at)
        age = (self.end - self.cal.local(at)).days
        if rng.random() < OPEN_BASE + OPEN_RECENT * math.exp(-age / OPEN_DAYS):
            story.cap = min(story.cap, closing - 1)
        ending = rng.random()
        if ending < DUPLICATE_SHARE + REFERRED_SHARE and flow in self.originals:
            path = _path(flow, rng, flow.first.key, None)
            times = self._times(story, closing, len(path) + 1)
            for step, moment in zip(path, times, strict=False):
                story.move(step, moment)
            self._close_elsewhere(story, times[-1], ending < DUPLICATE_SHARE)
        else:
            self._close(story, case_id, closing)
        if story.closed:
            self._aftermath(story)
        return story

    def _close_elsewhere(self, story: _Story, at: float, duplicate: bool) -> None:
        if not duplicate:
            organisation = REFERRAL_ORGANISATION
            story.close_as(
                Kind.REFERRED, Outcome.REFERRED, at, organisation=organisation
            )
            return
        original, reference = self.originals[story.flow]
        if story.close_as(Kind.DUPLICATE, Outcome.DUPLICATE, at, original=reference):
            story.duplicate_of = original

    def _close(self, story: _Story, case_id: int, closing: float) -> None:
        flow = story.flow
        path = _path(flow, self.rng, flow.first.key, self._outcome())
        if not path:
            return
        *steps, last = path
        times = self._times(story, closing, len(path))
        for step, moment in zip(steps, times, strict=False):
            story.move(step, moment)
        automated = flow.automated and last.outcome
        if not (automated and self.rng.random() < AUTOMATED_SHARE):
            story.move(last, times[-1])
            return
        # Fake ids, unique because case ids are: two per case at most.
        decision = case_id * 2
        verdict = "reject" if last.outcome == Outcome.REJECTED else "approve"
        data = {"decision": decision, "outcome": verdict, "automated": True}
        if story.add(Kind.DECISION_MADE, times[-1], data):
            story.move(last, times[-1], decision=decision, automated=True)
            story.decision = (decision, verdict)

    def _aftermath(self, story: _Story) -> None:
        """Challenge an automated decision or reopen, now and then; maybe a rating."""
        draw, rng, service = self.rng.random(), self.rng, story.flow.service
        if story.decision and draw < OVERRIDDEN_SHARE:
            self._override(story)
        elif story.decision and draw < OVERRIDDEN_SHARE + APPEALED_SHARE:
            key = story.flow.decision_step
            if story.appeal(self._later(story.at, 1, service.appeal_days or 21), key):
                self._reclose(story, key, self._outcome())
        elif story.before and rng.random() < REOPENED_SHARE:
            key = story.before
            if story.reopen(self._later(story.at, 0.5, service.reopen_days or 14), key):
                self._reclose(story, key, self._outcome())
        if story.closed and rng.random() < RATED_SHARE:
            score = _pick(rng, range(1, 6), SCORE_WEIGHTS)
            moment = self._later(story.at, 0.2, 7)
            story.add(Kind.RATED, moment, {"score": score}, public=False)

    def _override(self, story: _Story) -> None:
        """A case worker reopens the case and decides it the other way.

        ``rules.services.override_decision`` needs an open case, hence the reopening.
        """
        replaced, verdict = story.decision
        verdict, key = "approve" if verdict == "reject" else "reject", story.before
        if not story.reopen(self._later(story.at, 1, 10), key):
            return
        data = {"decision": replaced + 1, "replaces": replaced, "outcome": verdict}
        data |= {"automated": False, "overrides_automated": True}
        moment = self._later(story.at, 0, 2)
        if story.add(Kind.DECISION_OVERRIDDEN, moment, data):
            outcome = Outcome.RESOLVED if verdict == "approve" else Outcome.REJECTED
            self._reclose(story, key, outcome, decision=replaced + 1, automated=False)

    def _reclose(self, story: _Story, key: str, outcome: str, **extra) -> None:
        path = _path(story.flow, self.rng, key, outcome)
        for number, step in enumerate(path, 1):
            last = number == len(path)
            moment = story.at if extra and last else self._later(story.at, 0.1, 4)
            if not story.move(step, moment, **(extra if last else {})):
                return

    def cases(self, ids, submissions) -> tuple[list, list]:
        """The rows of some cases, and their events as (case id, kind, at,
        public, data)."""
        cases, events = [], []
        for case_id, (at, flow, channel) in zip(ids, submissions, strict=True):
            story = self.tell(case_id, flow, at, channel)
            reference = self._reference(at)
            cases.append(self._case_row(case_id, reference, story, channel))
            events.extend((case_id, *event) for event in story.events)
            self.originals[flow] = (case_id, reference)
        return cases, events

    def _reference(self, at: float) -> str:
        year = self.cal.local(at).year
        if year not in self.numbers:
            taken = Case.objects.filter(reference__startswith=f"{PREFIX}-{year}-")
            last = taken.aggregate(last=Max("reference"))["last"]
            self.numbers[year] = int(last.rsplit("-", 1)[1]) if last else 0
        self.numbers[year] += 1
        return f"{PREFIX}-{year}-{self.numbers[year]:07d}"

    def _place(self, flow: _Flow) -> tuple[float | None, float | None]:
        """A point in a zone, the first zones more often; or no place."""
        rng = self.rng
        if not self.places or rng.random() >= flow.located * LOCATED_SHARE:
            return None, None
        places = _pick(rng, self.places, self.place_weights)
        return places[int(rng.random() * len(places))]

    def _case_row(self, case_id: int, reference: str, story: _Story, channel) -> tuple:
        """The case's values, in the order of ``CASE_FIELDS``."""
        rng, (latitude, longitude) = self.rng, self._place(story.flow)
        language = self.languages[0]
        if len(self.languages) > 1 and rng.random() >= MAIN_LANGUAGE_SHARE:
            language = rng.choice(self.languages[1:])
        step_due, due = story.step_due, story.due
        dues = [d.moment for d in (step_due, due) if d is not None]
        stopped = story.closed or story.hold is not None or not dues
        service = story.flow.service
        return (
            case_id,
            reference,
            service.pk,
            service.process_id,
            story.step.id,
            str(story.status),
            channel,
            # No token hashes to it; in case id order, its index fills fast.
            f"{self.run:016x}{case_id:048x}",
            latitude,
            longitude,
            language,
            story.step.team_id,
            _moment(story.events[0][1]),
            _moment(story.entered),
            step_due and step_due.moment,
            due and due.moment,
            None if stopped else min(dues),
            story.hold and _moment(story.hold),
            story.duplicate_of,
            story.closed_at and _moment(story.closed_at),
            _moment(story.updated),
            len(story.events),
        )


# What the stories give of a case and of an event, in the order of their tuples;
# the other fields take their defaults.
CASE_FIELDS = ("id", "reference", "service_id", "process_id", "step_id", "status")
CASE_FIELDS += ("channel", "token_hash", "latitude", "longitude", "language")
CASE_FIELDS += ("team_id", "submitted_at", "step_entered_at", "step_due_at")
CASE_FIELDS += ("due_at", "next_due_at", "on_hold_since", "duplicate_of_id")
CASE_FIELDS += ("closed_at", "updated_at", "version")
EVENT_FIELDS = ("case_id", "kind", "at", "is_public", "data")


def _columns(model, given: tuple[str, ...]) -> tuple[str, list]:
    """COPY for the ``given`` fields and then the others; the others' defaults."""
    fields = {field.attname: field for field in model._meta.concrete_fields}
    rest = [f for n, f in fields.items() if n not in given and not f.primary_key]
    columns = [fields[name].column for name in given] + [f.column for f in rest]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    return sql, [field.get_default() for field in rest]


def _copy_text(value) -> str:
    """A value in the text format of COPY."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = _encode(value) if isinstance(value, dict | list) else str(value)
    return text.translate(_ESCAPES)


class _Copy:
    """PostgreSQL: COPY, sent by a second thread while the next batch is made.

    The thread uses the same connection, so the same transaction.
    """

    def __init__(self):
        connection.ensure_connection()
        self.raw, self.pending = connection.connection, None
        self.cases_sql, defaults = _columns(Case, CASE_FIELDS)
        self.case_defaults = tuple(
            _encode(value) if isinstance(value, dict | list) else value
            for value in defaults
        )
        self.events_sql, defaults = _columns(CaseEvent, EVENT_FIELDS)
        self.event_defaults = "".join(f"\t{_copy_text(value)}" for value in defaults)
        self.thread = ThreadPoolExecutor(max_workers=1)

    def reserve(self, count: int) -> range:
        # One statement, so a case submitted meanwhile gets an id outside the block.
        with connection.cursor() as cursor:
            table = Case._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            sql = "SELECT setval(%s, nextval(%s) + %s)"
            cursor.execute(sql, [sequence, sequence, max(count, 1) - 1])
            last = cursor.fetchone()[0]
        return range(last - count + 1, last + 1)

    def __enter__(self):
        with connection.cursor() as cursor:
            # Foreign keys checked as each COPY ends, while the next batch is
            # made, rather than all at once by the commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return self

    def __exit__(self, kind, error, trace) -> None:
        try:
            self._wait()
        finally:
            self.thread.shutdown()
        if kind is None:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def write(self, cases: list, events: list) -> None:
        self._wait()
        self.pending = self.thread.submit(self._send, cases, events)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def _send(self, cases: list, events: list) -> None:
        with self.raw.cursor() as cursor:
            with cursor.copy(self.cases_sql) as copy:
                for row in cases:
                    copy.write_row(row + self.case_defaults)
            with cursor.copy(self.events_sql) as copy:
                for start in range(0, len(events), 10_000):
                    copy.write("".join(map(self._line, events[start : start + 10_000])))

    def _line(self, event: tuple) -> str:
        case_id, kind, at, public, data = event
        data = _encode(data).replace("\\", "\\\\")
        at, flag = _moment(at).isoformat(), "t" if public else "f"
        return f"{case_id}\t{kind}\t{at}\t{flag}\t{data}{self.event_defaults}\n"


class _Create:
    """Other databases: the next free case ids, rows sent by ``bulk_create``."""

    def __init__(self, size: int):
        self.size = size

    def reserve(self, count: int) -> range:
        last = Case.objects.aggregate(last=Max("id"))["last"] or 0
        return range(last + 1, last + count + 1)

    def write(self, cases: list, events: list) -> None:
        made = [Case(**dict(zip(CASE_FIELDS, row, strict=True))) for row in cases]
        Case.objects.bulk_create(made, batch_size=self.size)
        made = [
            CaseEvent(
                case_id=case_id, kind=kind, at=_moment(at), is_public=public, data=data
            )
            for case_id, kind, at, public, data in events
        ]
        CaseEvent.objects.bulk_create(made, batch_size=self.size)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace) -> None:
        pass


def generate(
    *, cases: int, start: date, end: date, seed: int = 1, batch: int = 20_000
) -> dict:
    """Write ``cases`` past cases submitted from ``start`` to ``end`` (local dates).

    The cases belong to the services in the database, a few of them sensor
    tasks when there is a task service, with their events up to the end of
    ``end`` or now, whichever is earlier. One transaction, ``batch`` cases
    written at a time (PostgreSQL: COPY). Returns ``{"cases": n, "events": m}``.
    Raises ValueError for a negative count, an empty or future period, or a
    database without services.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    after_end = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone)
    cap = min(timezone.now(), after_end - timedelta(microseconds=1)).timestamp()
    first = datetime.combine(start, time(), tzinfo=zone).timestamp()
    if cases < 0 or end < start or first > cap:
        raise ValueError(f"Cannot write {cases} cases from {start} to {end}.")
    maker = _Maker(random.Random(seed), start, end, cap)  # noqa: S311 - not a secret
    writer = _Copy() if connection.vendor == "postgresql" else _Create(batch)
    submissions = maker.submissions(cases, start, end)
    written = {"cases": 0, "events": 0}
    with transaction.atomic(), writer:
        ids = writer.reserve(cases)
        while chunk := list(islice(submissions, batch)):
            done = written["cases"]
            rows, events = maker.cases(ids[done : done + len(chunk)], chunk)
            writer.write(rows, events)
            written["cases"] += len(rows)
            written["events"] += len(events)
    return written
