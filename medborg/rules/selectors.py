"""Read what decisions need: the values a table may ask for, parsed tables."""

import functools
from datetime import date

from django.utils import timezone

from shapely.geometry import Point, shape

from medborg.cases.models import CaseEvent
from medborg.catalog.models import Choice, Question, Zone
from medborg.rules import dmn
from medborg.rules.models import Decision

# Values every service offers besides its questions' answers.
DERIVED = {
    "zone": "key of the zone the case's place lies in (null outside every zone)",
    "today": "the date the table is evaluated (local time)",
    "submitted_on": "the date the case was submitted (local time)",
}


def input_name(question_key: str) -> str:
    """The name a table uses for a question: its key with ``-`` as ``_``."""
    return question_key.replace("-", "_")


def bindable(service) -> dict[str, str]:
    """Every name a table for ``service`` may use as an input, with what it is.

    Several-choice answers are lists, which FEEL unary tests cannot compare:
    a table may not use them.
    """
    questions = Question.objects.filter(service=service).exclude(
        kind=Question.Kind.MULTI_CHOICE
    )
    names = {
        input_name(question.key): f"answer to “{question.label}” ({question.kind})"
        for question in questions.order_by("position")
    }
    return {**names, **DERIVED}


def value_labels(service) -> dict[tuple[str, str], str]:
    """(input name, value) → name in the active language, for zones and choices."""
    labels = {
        ("zone", key): name for key, name in Zone.objects.values_list("key", "name")
    }
    choices = Choice.objects.filter(question__service=service).select_related(
        "question"
    )
    for choice in choices:
        labels[(input_name(choice.question.key), choice.value)] = choice.label
    return labels


def zone_at(latitude: float | None, longitude: float | None) -> str | None:
    """Key of the first zone (by position) that holds the point, or None."""
    if latitude is None or longitude is None:
        return None
    point = Point(longitude, latitude)
    for key, geometry in Zone.objects.values_list("key", "geometry"):
        if shape(geometry).covers(point):
            return key
    return None


def case_values(case, *, today: date | None = None) -> dict:
    """The raw values of ``case`` that tables may read, by input name."""
    values = {input_name(key): value for key, value in case.answers.items()}
    values["zone"] = zone_at(case.latitude, case.longitude)
    values["today"] = (today or timezone.localdate()).isoformat()
    values["submitted_on"] = timezone.localtime(case.submitted_at).date().isoformat()
    return values


@functools.lru_cache(maxsize=64)
def _parse(content_hash: str, xml: str, decision_id: str) -> dmn.DecisionTable:
    return dmn.parse_one(xml, decision_id)


def parsed(table) -> dmn.DecisionTable:
    """The stored version ``table`` as the engine reads it (cached by hash)."""
    return _parse(table.content_hash, table.xml, table.decision_id)


def current_decision(case) -> Decision | None:
    """The case's latest decision that no other replaced, or None."""
    return (
        Decision.objects.filter(case=case, replaced_by__isnull=True)
        .order_by("-made_at", "-pk")
        .first()
    )


def appealable(case, now=None) -> Decision | None:
    """The binding decision the citizen may still appeal, or None."""
    decision = current_decision(case)
    now = now or timezone.now()
    if decision is None or not decision.is_binding or decision.appeal_until < now:
        return None
    return None if was_appealed(decision) else decision


def was_appealed(decision: Decision) -> bool:
    return CaseEvent.objects.filter(
        case_id=decision.case_id,
        kind=CaseEvent.Kind.APPEALED,
        data__decision=decision.pk,
    ).exists()


def _in(texts: dict, language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def citizen_decision(case, language: str) -> dict | None:
    """What the citizen sees of the decision on their case, or None.

    Only binding decisions: a recommendation or a referral is internal until a
    case worker decides. An appealed decision says so until it is replaced.
    """
    decision = (
        Decision.objects.filter(
            case=case, kind__in=[Decision.Kind.DECISION, Decision.Kind.OVERRIDE]
        )
        .exclude(outcome=Decision.Outcome.REFER)
        .order_by("-made_at", "-pk")
        .first()
    )
    if decision is None:
        return None
    appealed = was_appealed(decision)
    return {
        "outcome": decision.outcome,
        "outcome_label": decision.get_outcome_display(),
        "automated": decision.automated,
        "explanation": _in(decision.explanation, language),
        "legal_basis": _in(decision.legal_basis, language),
        "made_at": decision.made_at,
        "appeal_until": decision.appeal_until,
        "appealed": appealed,
        "can_appeal": not appealed and decision.appeal_until >= timezone.now(),
    }
