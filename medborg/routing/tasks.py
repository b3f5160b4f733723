"""Background work for routes: plan a day when the operator asks for it.

Arguments are JSON: the date as an ISO string and the user's id.
"""

import logging
from datetime import date

from django.contrib.auth import get_user_model

from django_tasks import task

from medborg.routing.services.planning import plan_day as plan_day_service

logger = logging.getLogger(__name__)


@task()
def plan_day(day: str, user_id: int | None = None) -> int:
    """Plan the routes of ``day`` (YYYY-MM-DD) for ``user_id``; return the plan's id."""
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    plan = plan_day_service(date=date.fromisoformat(day), by=by)
    logger.info(
        "Planned %s: %d m in %.1f s (plan %d)",
        day,
        plan.distance_m,
        plan.solver_seconds,
        plan.pk,
    )
    return plan.pk
