"""Read processes together with what uses them: services and cases."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from medborg.processes.models import Process
from medborg.processes.validation import StepSpec


def is_frozen(process: Process) -> bool:
    """Return whether any case uses this process version.

    A frozen version is never edited or deleted: its cases point to its steps.
    A row annotated by ``with_usage`` answers without a query.
    """
    case_count = getattr(process, "case_count", None)
    if case_count is not None:
        return case_count > 0
    return process.cases.exists()


def _count_of(related_name: str) -> Coalesce:
    """Count the rows pointing here through ``related_name`` in a subquery.

    Two subqueries instead of two joined ``Count``s: joining services and cases
    at once multiplies the rows by each other before counting.
    """
    foreign_key = Process._meta.get_field(related_name).field
    rows = (
        foreign_key.model._base_manager.filter(**{foreign_key.name: OuterRef("pk")})
        .order_by()
        .values(foreign_key.name)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_usage(queryset: QuerySet[Process] | None = None) -> QuerySet[Process]:
    """Annotate each process with ``service_count`` and ``case_count``.

    One query for the whole list, however many processes, services and cases.
    """
    if queryset is None:
        queryset = Process.objects.all()
    return queryset.annotate(
        service_count=_count_of("services"), case_count=_count_of("cases")
    )


def step_specs(process: Process) -> list[StepSpec]:
    """Describe the saved steps of ``process`` for ``validation.problems``."""
    return [
        StepSpec(
            key=step.key,
            position=step.position,
            has_team=step.team_id is not None,
            outcome=step.outcome,
            next_steps=tuple(step.next_steps or ()),
        )
        for step in process.steps.order_by("position")
    ]
