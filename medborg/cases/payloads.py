"""Shape what a citizen may see of a case, for the tracking page and status.json.

Pure: takes a case, its public events and its step names; reads no database.
Staff names appear only when the staff member chose to show theirs; internal
events never reach this module.
"""

from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from medborg.cases.lifecycle import Status, is_open


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    message: str
    by: str


@dataclass(frozen=True)
class TrackingSummary:
    reference: str
    service: str
    status: str
    status_label: str
    is_open: bool
    step_key: str
    step_name: str
    step_description: str
    team: str
    handler: str
    submitted_at: datetime
    step_due_at: datetime | None
    due_at: datetime | None
    version: int
    timeline: list[TimelineEntry]
    waiting_for_you: bool = False
    question: str = ""
    original: dict | None = None


def _step(event, step_names, key="to") -> str:
    return step_names.get(event.data.get(key), event.data.get(key, ""))


def _referred_title(event) -> str:
    if event.data.get("organisation"):
        return _("Referred to %(organisation)s") % {
            "organisation": event.data["organisation"]
        }
    return _("Handed to %(team)s") % {"team": event.data.get("team_name", "")}


def _extended_title(event) -> str:
    if event.data.get("target") == "step":
        return _("The step's deadline was extended")
    return _("The case's deadline was extended")


TITLES = {
    "case.submitted": lambda event, names: _("Your case was received"),
    "case.moved": lambda event, names: (
        _("Moved to: %(step)s") % {"step": _step(event, names)}
    ),
    "case.info_requested": lambda event, names: _("We need more information from you"),
    "case.info_received": lambda event, names: _("You answered"),
    "case.extended": lambda event, names: _extended_title(event),
    "case.duplicate": lambda event, names: (
        _("Your report joins case %(reference)s")
        % {"reference": event.data.get("original", "")}
    ),
    "case.referred": lambda event, names: _referred_title(event),
    "case.reopened": lambda event, names: _("Your case was reopened"),
    "case.rated": lambda event, names: _("You told us how satisfied you are"),
}


def _decision_title(event) -> str:
    outcome = event.data.get("outcome")
    if outcome == "approve":
        return _("Decision: approved")
    if outcome == "reject":
        return _("Decision: rejected")
    return _("Decision")


TITLES.update(
    {
        "decision.made": lambda event, names: _decision_title(event),
        "decision.overridden": lambda event, names: _decision_title(event),
        "decision.appealed": lambda event, names: _("You appealed the decision"),
    }
)


def _title(event, step_names) -> str:
    title = TITLES.get(event.kind)
    return title(event, step_names) if title else _("Message from the municipality")


def original_summary(original) -> dict | None:
    """What a duplicate's citizen may see of the case it joined: progress only.

    No answers, messages, place or contact: the original belongs to someone else.
    """
    if original is None:
        return None
    return {
        "reference": original.reference,
        "service": original.service.name,
        "status_label": str(Status(original.status).label),
        "step_name": original.step.name,
        "step_description": original.step.public_description,
        "team": original.team.name,
        "due_at": original.due_at if is_open(original.status) else None,
    }


def _by(event) -> str:
    return event.actor.citizen_facing_name if event.actor_id else ""


def timeline(events, step_names) -> list[TimelineEntry]:
    """Events as the citizen reads them: a title in the active language each."""
    return [
        TimelineEntry(
            at=event.at,
            kind=event.kind,
            title=_title(event, step_names),
            message=event.message,
            by=_by(event),
        )
        for event in events
    ]


def tracking_summary(case, public_events, step_names, original=None) -> TrackingSummary:
    waiting = case.status == Status.WAITING_FOR_CITIZEN
    questions = [e.message for e in public_events if e.kind == "case.info_requested"]
    return TrackingSummary(
        reference=case.reference,
        service=case.service.name,
        status=case.status,
        status_label=Status(case.status).label,
        is_open=is_open(case.status),
        step_key=case.step.key,
        step_name=case.step.name,
        step_description=case.step.public_description,
        team=case.holding_team.name,
        handler=case.assignee.citizen_facing_name if case.assignee_id else "",
        submitted_at=case.submitted_at,
        step_due_at=None if waiting else case.step_due_at,
        due_at=case.due_at if is_open(case.status) and not waiting else None,
        version=case.version,
        timeline=timeline(public_events, step_names),
        waiting_for_you=waiting,
        question=questions[-1] if waiting and questions else "",
        original=original_summary(original),
    )


def as_json(summary: TrackingSummary) -> dict:
    """The summary with dates as ISO 8601 strings (with their UTC offset)."""

    def convert(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        return value

    return convert(asdict(summary))


def answer_text(question, value) -> str:
    """An answer as a person reads it: choice labels, yes/no, dates as given."""
    if value is None or value == "":
        return ""
    if question.kind == "yes_no":
        return _("Yes") if value else _("No")
    if question.kind in {"choice", "multi_choice"}:
        labels = {choice.value: choice.label for choice in question.choices.all()}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(item, str(item)) for item in values)
    return str(value)


def answer_rows(questions, answers: dict) -> list[tuple[str, str]]:
    """(question, answer) pairs in the service's order; answers to removed
    questions are kept at the end under their key so that nothing is hidden."""
    rows, seen = [], set()
    for question in questions:
        seen.add(question.key)
        rows.append((question.label, answer_text(question, answers.get(question.key))))
    rows += [(key, str(value)) for key, value in answers.items() if key not in seen]
    return rows
