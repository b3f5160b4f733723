"""Read what the Open311 endpoints show; every list costs a fixed number of queries.

Cases come only from ``cases.selectors.published_cases`` and events only from
published cases, so a hidden service's cases never appear.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef

from medborg.cases.lifecycle import OPEN
from medborg.cases.models import Case, CaseEvent
from medborg.cases.publication import PRIVATE_KINDS
from medborg.cases.selectors import published_cases
from medborg.catalog.models import Question
from medborg.catalog.selectors import active_services
from medborg.open311.params import Page


def services() -> list:
    """Active services with ``has_questions``, in catalog order."""
    asks = Question.objects.filter(service=OuterRef("pk"))
    return list(
        active_services()
        .annotate(has_questions=Exists(asks))
        .order_by("category__position", "position", "pk")
    )


def service(code: str):
    """The active service with this code and its questions, or None."""
    return (
        active_services()
        .filter(code=code)
        .prefetch_related("questions__choices")
        .first()
    )


@dataclass(frozen=True)
class RequestFilter:
    """What a GET of requests asks for; ``ids`` overrides everything else."""

    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] = field(default_factory=list)


def requests(wanted: RequestFilter, page: Page) -> list[Case]:
    """One page of published cases, newest first (submitted, then id)."""
    cases = published_cases()
    if wanted.ids:
        return list(cases.filter(reference__in=wanted.ids)[page.bounds])
    if wanted.service_codes:
        cases = cases.filter(service__code__in=wanted.service_codes)
    if wanted.start:
        cases = cases.filter(submitted_at__gte=wanted.start)
    if wanted.end:
        cases = cases.filter(submitted_at__lte=wanted.end)
    if set(wanted.statuses) == {"open"}:
        cases = cases.filter(status__in=OPEN)
    elif set(wanted.statuses) == {"closed"}:
        cases = cases.exclude(status__in=OPEN)
    return list(cases[page.bounds])


def request(reference: str) -> Case | None:
    return published_cases().filter(reference=reference).first()


def case_reference(pk: int) -> str | None:
    return Case.objects.filter(pk=pk).values_list("reference", flat=True).first()


def updates(*, start: datetime, end: datetime, page: Page) -> list[CaseEvent]:
    """Public events of published cases in [start, end], oldest first.

    The citizen's own acts (answers, ratings, appeals, mails) are left out.
    """
    events = (
        CaseEvent.objects.filter(is_public=True, at__gte=start, at__lte=end)
        .exclude(kind__in=PRIVATE_KINDS)
        .exclude(case__service__publicity="hidden")
        .select_related("case")
        .order_by("at", "id")
    )
    return list(events[page.bounds])
