"""Read a team's inbox: the filtered selection, its counts and its map points.

Every function issues a fixed number of queries whatever the number of cases;
a test holds the inbox page to that.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from medborg.accounts.models import Team, User
from medborg.cases.models import Case
from medborg.catalog.models import Service
from medborg.municipality import working_calendar
from medborg.processes import deadlines
from medborg.processes.models import Step

MAP_LIMIT = 1000

SORTS = {
    "due": [F("next_due_at").asc(nulls_last=True), "submitted_at", "pk"],
    "newest": ["-submitted_at", "-pk"],
    "oldest": ["submitted_at", "pk"],
}


@dataclass(frozen=True)
class Selection:
    """What the inbox shows; built from the validated filter form."""

    teams: tuple[int, ...]
    service: int | None = None
    step: str = ""
    assignee: str = ""
    due: str = ""
    within_days: int | None = None
    query: str = ""
    include_closed: bool = False
    sort: str = "due"


def soon_cutoff(now, days: int):
    return deadlines.due_within(now, days, **working_calendar())


def _base(selection: Selection, user):
    cases = Case.objects.filter(team_id__in=selection.teams)
    if not selection.include_closed:
        cases = cases.filter(closed_at__isnull=True)
    if selection.service:
        cases = cases.filter(service_id=selection.service)
    if selection.step:
        cases = cases.filter(step__key=selection.step)
    if selection.assignee == "me":
        cases = cases.filter(assignee=user)
    elif selection.assignee == "nobody":
        cases = cases.filter(assignee__isnull=True)
    elif selection.assignee:
        cases = cases.filter(assignee_id=int(selection.assignee))
    if selection.query:
        cases = cases.filter(
            Q(reference__icontains=selection.query)
            | Q(address__icontains=selection.query)
        )
    return cases


def _due_filter(cases, selection: Selection, now):
    if selection.due == "overdue":
        return cases.filter(next_due_at__lt=now)
    if selection.due == "soon":
        cutoff = soon_cutoff(now, settings.DUE_SOON_WORKING_DAYS)
        return cases.filter(next_due_at__gte=now, next_due_at__lte=cutoff)
    if selection.due == "within" and selection.within_days is not None:
        cutoff = soon_cutoff(now, selection.within_days)
        return cases.filter(next_due_at__lte=cutoff)
    return cases


def inbox_cases(selection: Selection, user, now=None):
    """The selected cases, sorted (soonest due first by default), with relations."""
    now = now or timezone.now()
    cases = _due_filter(_base(selection, user), selection, now)
    return cases.select_related("service", "step", "assignee", "team").order_by(
        *SORTS[selection.sort]
    )


def inbox_counts(selection: Selection, user, now=None) -> dict[str, int]:
    """Overdue and due-soon counts of the selection before its due filter."""
    now = now or timezone.now()
    cutoff = soon_cutoff(now, settings.DUE_SOON_WORKING_DAYS)
    # Counting next_due_at (never null under either filter) lets PostgreSQL
    # answer from the inbox index alone instead of reading the table.
    return _base(selection, user).aggregate(
        overdue=Count("next_due_at", filter=Q(next_due_at__lt=now)),
        due_soon=Count(
            "next_due_at", filter=Q(next_due_at__gte=now, next_due_at__lte=cutoff)
        ),
    )


def map_points(cases, now=None) -> list[dict]:
    """Located cases of a selection for the map, at most MAP_LIMIT of them."""
    now = now or timezone.now()
    rows = (
        cases.exclude(latitude=None)
        .exclude(longitude=None)
        .values_list(
            "reference",
            "latitude",
            "longitude",
            "service__name",
            "step__name",
            "next_due_at",
        )[:MAP_LIMIT]
    )
    return [
        {
            "reference": reference,
            "lat": lat,
            "lon": lon,
            "service": service,
            "step": step,
            "overdue": bool(due and due < now),
        }
        for reference, lat, lon, service, step, due in rows
    ]


def filter_choices(team_ids) -> dict:
    """What the filter form offers: teams, services, steps and colleagues."""
    teams = list(Team.objects.filter(pk__in=team_ids).order_by("name"))
    services = list(
        Service.objects.filter(
            Q(team_id__in=team_ids) | Q(process__steps__team_id__in=team_ids)
        )
        .distinct()
        .order_by("name")
    )
    steps = {}
    for key, name in (
        Step.objects.filter(process__services__in=services)
        .order_by("position")
        .values_list("key", "name")
    ):
        steps.setdefault(key, name)
    colleagues = list(
        User.objects.filter(teams__in=team_ids, is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )
    return {
        "teams": teams,
        "services": services,
        "steps": steps,
        "colleagues": colleagues,
    }
