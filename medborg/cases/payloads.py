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


def _title(event, step_names) -> str:
    if event.kind == "case.submitted":
        return _("Your case was received")
    if event.kind == "case.moved":
        step = step_names.get(event.data.get("to"), event.data.get("to", ""))
        return _("Moved to: %(step)s") % {"step": step}
    return _("Message from the municipality")


def _by(event) -> str:
    return event.actor.citizen_facing_name if event.actor_id else ""


def tracking_summary(case, public_events, step_names) -> TrackingSummary:
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
        step_due_at=case.step_due_at,
        due_at=case.due_at if is_open(case.status) else None,
        version=case.version,
        timeline=[
            TimelineEntry(
                at=event.at,
                kind=event.kind,
                title=_title(event, step_names),
                message=event.message,
                by=_by(event),
            )
            for event in public_events
        ],
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
    if question.kind == "choice":
        labels = {choice.value: choice.label for choice in question.choices.all()}
        return labels.get(value, str(value))
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
