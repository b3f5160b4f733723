"""Decisions in the staff workspace: decide by hand, and replay a case's decisions.

Authorization is the workspace's (``cases.staff_views``): a case role and a
seat on the case's team; deciding also needs ``rules.override_decision``.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from medborg.cases import services as case_services
from medborg.cases.lifecycle import is_open
from medborg.cases.staff_views import (
    _case_or_404,
    _form_action,
    case_worker_required,
    permission,
)
from medborg.rules import services
from medborg.rules.forms import DecideForm
from medborg.rules.models import Decision
from medborg.rules.replay import replay_one


def can_decide(case, user) -> bool:
    """Whether the case page offers ``user`` the decision form for ``case``."""
    service = case.service
    steps = {service.approve_step, service.reject_step} - {""}
    return (
        user.has_perm("rules.override_decision")
        and is_open(case.status)
        and bool(steps)
        and steps <= set(case.step.next_steps)
    )


def case_context(case, user, bound: dict) -> dict:
    """What the staff case page shows of decisions, and the decision form."""
    decisions = list(
        Decision.objects.filter(case=case)
        .select_related("table", "made_by", "replaces")
        .order_by("made_at", "pk")
    )
    form = bound.get("decide_form")
    if form is None and can_decide(case, user):
        current = next((d for d in reversed(decisions) if d.outcome != "refer"), None)
        form = DecideForm(
            initial={
                "state": case_services.state_of(case),
                "outcome": current.outcome if current else None,
            }
        )
    return {"decisions": decisions, "decide_form": form}


@require_POST
@case_worker_required
@permission("rules.override_decision")
def decide(request, reference):
    return _form_action(
        request,
        reference,
        "decide_form",
        lambda case: DecideForm(request.POST),
        lambda case, data: services.override_decision(
            case=case,
            outcome=data["outcome"],
            reason_text=data["reason_text"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The decision is made and the citizen can read it."),
    )


@require_GET
@case_worker_required
def decisions(request, reference):
    """Every decision on the case, each evaluated again on its stored table."""
    case = _case_or_404(request, reference)
    rows = [
        (decision, replay_one(decision))
        for decision in Decision.objects.filter(case=case)
        .select_related("table", "made_by", "case")
        .order_by("made_at", "pk")
    ]
    return render(request, "rules/staff/decisions.html", {"case": case, "rows": rows})
