"""Write the indicator snapshots from the case events, in full or incrementally.

The events are read outside any transaction (a full run takes a while and
must not hold the database); the snapshots of the recomputed periods are then
replaced in one short transaction that first locks the progress row, so two
workers running at once write one after the other, never a mix.

An incremental run recomputes from the start of the quarter holding the
earliest event it has not seen (by id), and always the running quarter: the
figures of a quarter need all its months, and the backlog needs the cases
open at its start, which are read from the events before it.
"""

import logging
import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncMonth
from django.utils import timezone

from medborg.cases.models import CaseEvent
from medborg.catalog.models import Service, Zone
from medborg.opendata import compute
from medborg.opendata.compute import month_of, next_month, quarter_of
from medborg.opendata.indicators import Granularity, Scope
from medborg.opendata.models import Progress, Snapshot

logger = logging.getLogger(__name__)

KINDS = (
    "case.submitted",
    "case.moved",
    "case.duplicate",
    "case.referred",
    "case.reopened",
    "decision.appealed",
    "decision.made",
    "decision.overridden",
    "case.rated",
)
DATA_KEYS = (
    "status",
    "organisation",
    "due",
    "step_due",
    "automated",
    "overrides_automated",
    "reopened",
    "score",
)
CLOSING = (
    Q(kind="case.moved", data__status="closed")
    | Q(kind="case.duplicate")
    | Q(kind="case.referred", data__has_key="organisation")
)
REOPENING = Q(kind="case.reopened") | Q(kind="decision.appealed", data__reopened=True)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _start_moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=_zone())


def _event_rows(start: date):
    """Yield (at, kind, case, service, channel, submitted, *DATA_KEYS) in time order.

    On PostgreSQL one plain query through a server-side cursor in binary:
    for a million cases the ORM's row handling took three times as long as
    the database, and text timestamps another 2.8 times as long as binary
    ones. Elsewhere the same through the ORM.
    """
    moment = _start_moment(start)
    if connection.vendor != "postgresql":
        yield from (
            CaseEvent.objects.filter(kind__in=KINDS, at__gte=moment)
            .annotate(**{f"d_{key}": KT(f"data__{key}") for key in DATA_KEYS})
            .order_by("at", "id")
            .values_list(
                "at",
                "kind",
                "case_id",
                "case__service_id",
                "case__channel",
                "case__submitted_at",
                *(f"d_{key}" for key in DATA_KEYS),
            )
            .iterator(chunk_size=20_000)
        )
        return
    # The database compares the due dates: parsing them took a tenth of a run.
    keys = ", ".join(
        f"e.at > (e.data ->> '{key}')::timestamptz"
        if key in {"due", "step_due"}
        else f"e.data ->> '{key}'"
        for key in DATA_KEYS
    )
    query = (
        "SELECT e.at, e.kind, e.case_id, c.service_id, c.channel, c.submitted_at, "  # noqa: S608 - constants
        f"{keys} FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
        "WHERE e.kind = ANY(%s) AND e.at >= %s ORDER BY e.at, e.id"
    )
    yield from _binary_rows(query, [list(KINDS), moment])


def _binary_rows(query: str, params: list):
    with connection.chunked_cursor() as cursor:
        raw = cursor.cursor
        raw.execute(query, params, binary=True)
        while rows := raw.fetchmany(50_000):
            yield from rows


def _events(start: date):
    """Yield the events from ``start`` on as ``compute.Event``, in time order."""
    classify, event = compute.classify, compute.Event
    submitted = (compute.Fact.SUBMITTED,)
    for at, kind, case_id, service_id, channel, submitted_at, *data in _event_rows(
        start
    ):
        if kind == "case.submitted":
            # A third of the events; nothing in their data is counted.
            yield event(at, case_id, service_id, submitted_at, submitted, channel)
            continue
        found = classify(kind, at, dict(zip(DATA_KEYS, data, strict=True)))
        if found["facts"]:
            yield event(
                at=at,
                case_id=case_id,
                service_id=service_id,
                submitted_at=submitted_at,
                channel=channel,
                **found,
            )


def open_cases_at(start: date) -> dict[int, tuple[int, datetime]]:
    """Return the cases open at the start of ``start``, read from the events.

    A case is open when it was submitted before and its last closing or
    reopening event before that moment is not a closing.
    """
    from medborg.cases.models import Case

    moment = _start_moment(start)

    last_closed = Max(
        "events__at", filter=Q(events__at__lt=moment) & _on_events(CLOSING)
    )
    last_reopened = Max(
        "events__at", filter=Q(events__at__lt=moment) & _on_events(REOPENING)
    )
    rows = (
        Case.objects.filter(submitted_at__lt=moment)
        .annotate(last_closed=last_closed, last_reopened=last_reopened)
        .filter(Q(last_closed__isnull=True) | Q(last_reopened__gt=F("last_closed")))
        .values_list("id", "service_id", "submitted_at")
        .iterator(chunk_size=20_000)
    )
    return {case_id: (service_id, submitted) for case_id, service_id, submitted in rows}


def _on_events(condition: Q) -> Q:
    """Rewrite a condition on CaseEvent fields as one on ``Case.events``."""
    rewritten = Q(_connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            rewritten.children.append(_on_events(child))
        else:
            name, value = child
            rewritten.children.append((f"events__{name}", value))
    return rewritten


def _case_rows(tallies, months, computed_at):
    services = Service.objects.select_related("category")
    scopes = {s.pk: (s.code, s.category.slug) for s in services}
    for granularity, start, scope, key, tally in compute.rollup(
        tallies, scopes=scopes, months=months
    ):
        for indicator, value, count in compute.figures(tally):
            yield _snapshot(
                indicator, granularity, start, scope, key, value, count, computed_at
            )


COLUMNS = (
    "indicator",
    "granularity",
    "period",
    "period_start",
    "scope",
    "scope_key",
    "value",
    "count",
    "computed_at",
)


def _snapshot(indicator, granularity, start, scope, key, value, count, computed_at):
    """One snapshot row as a tuple in COLUMNS order (tens of thousands a run)."""
    period = compute.period_name(start, granularity)
    value = None if value is None else float(value)
    return (
        indicator,
        granularity,
        period,
        start,
        scope,
        key,
        value,
        count,
        computed_at,
    )


def _insert(rows: list[tuple]) -> None:
    """Insert snapshot rows: COPY on PostgreSQL, one prepared INSERT elsewhere.

    The ORM's bulk_create spends most of a run preparing values one by one.
    """
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        ops = connection.ops
        prepared = [
            (
                *row[:3],
                ops.adapt_datefield_value(row[3]),
                *row[4:8],
                ops.adapt_datetimefield_value(row[8]),
            )
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - constants
            prepared,
        )


def _by_month(months, per_month: dict, computed_at, scope=Scope.MUNICIPALITY, key=""):
    """Snapshots of sums per month and quarter, for ``{indicator: {month: (v, n)}}``."""
    for indicator, values in per_month.items():
        quarters: dict[date, list] = {}
        for month in months:
            value, count = values.get(month, (0, 0))
            total = quarters.setdefault(quarter_of(month), [0, 0])
            total[0] += value
            total[1] += count
            yield _snapshot(
                indicator,
                Granularity.MONTH,
                month,
                scope,
                key,
                value,
                count,
                computed_at,
            )
        for quarter, (value, count) in quarters.items():
            yield _snapshot(
                indicator,
                Granularity.QUARTER,
                quarter,
                scope,
                key,
                value,
                count,
                computed_at,
            )


def _bin_figures(start: date, until: datetime) -> dict:
    """Emptyings, overflow bin-days and planned kilometres by month."""
    from medborg.routing.models import RoutePlan
    from medborg.sensors.models import BinCase, DailyFill

    zone = _zone()
    emptied = (
        BinCase.objects.filter(
            kind=BinCase.Kind.EMPTYING,
            closed_at__gte=_start_moment(start),
            closed_at__lte=until,
        )
        .annotate(month=TruncMonth("closed_at", tzinfo=zone))
        .values("month")
        .annotate(n=Count("id"))
    )
    overflow = (
        DailyFill.objects.filter(day__gte=start, max_percent__gte=100)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(n=Count("id"))
    )
    figures = {
        "bin_emptyings": {_as_month(r["month"]): (r["n"], r["n"]) for r in emptied},
        "bin_overflow_days": {
            _as_month(r["month"]): (r["n"], r["n"]) for r in overflow
        },
        "route_km": {},
        "route_baseline_km": {},
    }
    # The newest plan of a day is the one in use.
    newest = {}
    plans = RoutePlan.objects.filter(date__gte=start, date__lte=until.date())
    for day, metres, baseline in plans.order_by("date", "created_at").values_list(
        "date", "distance_m", "baseline_distance_m"
    ):
        newest[day] = (metres, baseline)
    for day, (metres, baseline) in newest.items():
        for indicator, value in (("route_km", metres), ("route_baseline_km", baseline)):
            if value is None:
                continue
            km, days = figures[indicator].get(month_of(day), (0, 0))
            figures[indicator][month_of(day)] = (km + value / 1000, days + 1)
    return figures


def _as_month(value) -> date:
    return month_of(value.date() if isinstance(value, datetime) else value)


def _area_figures(start: date) -> dict:
    """Reports received by zone and month: ``{zone key: {month: (n, n)}}``."""
    import shapely
    from shapely.geometry import shape

    from medborg.cases.models import Case

    zones = [(z.key, shape(z.geometry)) for z in Zone.objects.order_by("position")]
    reports = Case.objects.filter(
        submitted_at__gte=_start_moment(start),
        service__kind=Service.Kind.REPORT,
        latitude__isnull=False,
        longitude__isnull=False,
    ).values_list("submitted_at", "latitude", "longitude")
    if connection.vendor == "postgresql":
        query, params = reports.query.sql_with_params()
        rows = list(_binary_rows(query, list(params)))
    else:
        rows = list(reports)
    counts = {key: Counter() for key, _geometry in zones}
    unplaced = list(range(len(rows)))
    xs = [row[2] for row in rows]
    ys = [row[1] for row in rows]
    zone = _zone()
    for key, geometry in zones:
        if not unplaced:
            break
        inside = shapely.contains_xy(
            geometry, [xs[i] for i in unplaced], [ys[i] for i in unplaced]
        ).tolist()
        still = []
        for index, hit in zip(unplaced, inside, strict=True):
            if hit:
                counts[key][month_of(rows[index][0].astimezone(zone).date())] += 1
            else:
                still.append(index)
        unplaced = still
    return {key: {m: (n, n) for m, n in c.items()} for key, c in counts.items()}


def _months(start: date, until: datetime) -> list[date]:
    last = month_of(until.astimezone(_zone()).date())
    months, month = [], month_of(start)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def recompute(*, start: date, now: datetime | None = None, last_event_id=None) -> int:
    """Recompute every snapshot from the quarter holding ``start``; return rows.

    Reads the cases open at that quarter's start and every event after it,
    then replaces the snapshots of those periods in one transaction.
    """
    now = now or timezone.now()
    start = quarter_of(start)
    began = time.monotonic()
    if last_event_id is None:
        last_event_id = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
    sweep = compute.Sweep(
        start=start,
        until=now,
        time_zone=settings.TIME_ZONE,
        country=settings.MUNICIPALITY_COUNTRY,
        open_cases=open_cases_at(start),
    )
    tallies = sweep.run(_events(start))
    months = _months(start, now)
    rows = list(_case_rows(tallies, months, now))
    rows.extend(_by_month(months, _bin_figures(start, now), now))
    for key, per_month in _area_figures(start).items():
        rows.extend(_by_month(months, {"received": per_month}, now, Scope.AREA, key))
    _replace(start, rows, now, last_event_id, time.monotonic() - began)
    logger.info(
        "open data recomputed from=%s rows=%d seconds=%.1f",
        start,
        len(rows),
        time.monotonic() - began,
    )
    return len(rows)


@transaction.atomic
def _replace(start, rows, now, last_event_id, seconds) -> None:
    progress, _created = Progress.objects.select_for_update().get_or_create(pk=1)
    Snapshot.objects.filter(period_start__gte=start).delete()
    _insert(rows)
    progress.last_event_id = max(progress.last_event_id, last_event_id)
    progress.computed_at = now
    progress.recomputed_from = start
    progress.seconds = seconds
    progress.save()


def first_event_day() -> date | None:
    first = CaseEvent.objects.aggregate(first=Min("at"))["first"]
    return first.astimezone(_zone()).date() if first else None


def recompute_all(*, now: datetime | None = None) -> int:
    """Recompute every period from the first event on; return the rows written.

    Periods before the first event still stored (cases removed after their
    retention period) are dropped too: they can no longer be reproduced.
    """
    now = now or timezone.now()
    first = first_event_day() or now.astimezone(_zone()).date()
    with transaction.atomic():
        Snapshot.objects.filter(period_start__lt=quarter_of(first)).delete()
    return recompute(start=first, now=now)


def update_snapshots(*, now: datetime | None = None) -> int:
    """Recompute the periods that events not yet counted fall in; return rows.

    Always includes the running quarter (and yesterday's, at a quarter's
    start), so events committed out of id order are not missed.
    """
    now = now or timezone.now()
    progress = Progress.objects.filter(pk=1).first()
    if progress is None or not Snapshot.objects.exists():
        return recompute_all(now=now)
    last_id = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
    earliest = CaseEvent.objects.filter(id__gt=progress.last_event_id).aggregate(
        first=Min("at")
    )["first"]
    start = (now - timedelta(days=1)).astimezone(_zone()).date()
    if earliest is not None:
        start = min(start, earliest.astimezone(_zone()).date())
    return recompute(start=start, now=now, last_event_id=last_id)
