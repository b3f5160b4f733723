"""Every write of decision tables and decisions.

``decide_case`` is called by the case services in their transaction, with the
case row locked: the Decision, its CaseEvent and the case's move to its next
step commit together or not at all. A stored decision keeps everything needed
to replay it: the table version (by content hash) and the exact inputs.
"""

import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from medborg.cases.lifecycle import InvalidMove, Status, is_open
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services.common import (
    deadlines_in_force,
    locked,
    resume_clock,
    save_change,
)
from medborg.cases.services.workflow import StepNotAllowed, _enter_step, _event
from medborg.rules import dmn, feel, guardrails
from medborg.rules.evaluate import (
    InputError,
    Result,
    as_json,
    coerce_inputs,
    evaluate,
    explain,
)
from medborg.rules.models import Decision, DecisionTable
from medborg.rules.selectors import (
    appealable,
    bindable,
    case_values,
    current_decision,
    parsed,
    value_labels,
)

logger = logging.getLogger(__name__)


class TableRefused(ValueError):
    """The uploaded table may not be used; ``problems`` says why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class AppealNotAllowed(ValueError):
    """There is no decision to appeal, or its appeal period is over."""


def _findings_json(found) -> list[dict]:
    return [
        {
            "code": finding.code,
            "message": finding.message,
            "example": {
                name: ("…" if isinstance(v, guardrails.OtherText) else feel.to_json(v))
                for name, v in (finding.example or {}).items()
            }
            or None,
            "rules": list(finding.rules),
        }
        for finding in found
    ]


def check_table(xml: bytes, *, service, decision_id: str | None = None):
    """Parse and check a table for ``service``: (parsed table, flags as JSON).

    Raises UnsupportedDMN for what the engine cannot evaluate and TableRefused
    for what the guardrails refuse.
    """
    table = dmn.parse_one(xml, decision_id)
    refused = guardrails.refusals(
        table,
        bound=set(bindable(service)),
        protected=settings.PROTECTED_CHARACTERISTICS,
    )
    if refused:
        raise TableRefused([finding.message for finding in refused])
    flags = guardrails.completeness(table) + guardrails.overlaps(table)
    return table, _findings_json(flags)


@transaction.atomic
def upload_table(
    *, service, key: str, xml: bytes, note: str = "", decision_id=None, by
) -> DecisionTable:
    """Store a checked table as the next version of ``key``.

    Idempotent by content: the same bytes again return the stored version.
    Raises UnsupportedDMN or TableRefused; nothing is stored then.
    """
    table, flags = check_table(xml, service=service, decision_id=decision_id)
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8")
        except UnicodeDecodeError:
            raise dmn.UnsupportedDMN("file", "the file must be UTF-8") from None
    owners = DecisionTable.objects.filter(key=key).exclude(service=service)
    if owners.exists():
        raise TableRefused([f'the key "{key}" names another service\'s table'])
    digest = dmn.content_hash(xml)
    existing = DecisionTable.objects.filter(key=key, content_hash=digest).first()
    if existing is not None:
        return existing
    versions = DecisionTable.objects.select_for_update().filter(key=key)
    latest = versions.aggregate(latest=Max("version"))["latest"] or 0
    try:
        with transaction.atomic():
            return DecisionTable.objects.create(
                service=service,
                key=key,
                version=latest + 1,
                content_hash=digest,
                decision_id=table.id,
                name=table.name,
                xml=xml,
                findings=flags,
                note=note,
                uploaded_at=timezone.now(),
                uploaded_by=by,
            )
    except IntegrityError:
        # The same upload raced this one and won: it is the same version.
        return DecisionTable.objects.get(key=key, content_hash=digest)


@transaction.atomic
def activate_table(*, table: DecisionTable, by) -> None:
    """Point the table's service at this version for new decisions."""
    if not by.has_perm("catalog.change_service"):
        raise PermissionDenied("Only service administrators activate tables.")
    service = type(table.service).objects.select_for_update().get(pk=table.service_id)
    service.decision_table = table
    service.full_clean()
    service.save(update_fields=["decision_table"])


def _show(language: str):
    def show(value):
        if isinstance(value, bool) or value is None:
            return {True: _("yes"), False: _("no"), None: _("not given")}[value]
        if isinstance(value, Decimal):
            return formats.number_format(value, use_l10n=True)
        if isinstance(value, date):
            return formats.date_format(value, "DATE_FORMAT")
        return str(value)

    return show


def _problem_text(problem: str | None) -> str:
    if problem is None:
        return ""
    code = problem.split(":", 1)[0]
    return {
        "no-rule": _("No rule covers this case, so a case worker decides."),
        "ambiguous": _("More than one rule applies, so a case worker decides."),
        "conflict": _("The rules that apply disagree, so a case worker decides."),
        "input-not-allowed": _(
            "An answer is outside what the rules cover, so a case worker decides."
        ),
        "input-type": _("An answer could not be read, so a case worker decides."),
    }.get(code, _("A case worker decides."))


def _labelled(result: Result, labels: dict) -> Result:
    """The result with zone keys and choice values shown as their names."""
    inputs = {
        name: labels.get((name, value), value) for name, value in result.inputs.items()
    }
    return replace(result, inputs=inputs)


def explanations(
    table: dmn.DecisionTable | None, result: Result, service=None
) -> dict[str, str]:
    """The explanation in every language: annotations with the values filled in.

    Zones and choices appear by their names in each language, not their keys.
    """
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            shown = _labelled(result, value_labels(service)) if service else result
            lines = explain(table, shown, language, _show(language)) if table else []
            lines.append(_problem_text(result.problem))
            texts[language] = " ".join(line for line in lines if line)
    return texts


def outcome_of(result: Result) -> tuple[str, list[str]]:
    """The one outcome and the reason codes; disagreement means a case worker."""
    rows = result.outcome_rows
    outcomes = {row.get("outcome") for row in rows}
    reasons = [str(row["reason"]) for row in rows if row.get("reason") is not None]
    if result.problem or len(outcomes) != 1:
        return Decision.Outcome.REFER, reasons
    outcome = outcomes.pop()
    if outcome not in Decision.Outcome.values:
        return Decision.Outcome.REFER, reasons
    return outcome, reasons


def run_table(table_row: DecisionTable, values: dict) -> Result:
    """Evaluate a stored version on raw values; a value of the wrong type refers."""
    table = parsed(table_row)
    try:
        coerced = coerce_inputs(table, values)
    except InputError as error:
        coerced = {name: values.get(name) for name in table.input_names}
        return Result(table.id, coerced, (), None, f"input-type:{error.name}")
    return evaluate(table, coerced)


def _appeal_until(service, now):
    day = timezone.localtime(now).date() + timedelta(days=service.appeal_days)
    return timezone.make_aware(datetime.combine(day, time.max))


def _kind(service, outcome: str) -> str:
    if service.automation == service.Automation.RECOMMEND:
        return Decision.Kind.RECOMMENDATION
    if outcome == Decision.Outcome.REFER:
        return Decision.Kind.REFERRAL
    return Decision.Kind.DECISION


def _legal_basis(service, automated: bool) -> dict[str, str]:
    field = "automation_basis" if automated else "legal_basis"
    return {
        language: getattr(service, f"{field}_{language}", "") or ""
        for language, _name in settings.LANGUAGES
    }


def _target_step(case: Case, outcome: str):
    key = {
        Decision.Outcome.APPROVE: case.service.approve_step,
        Decision.Outcome.REJECT: case.service.reject_step,
    }[outcome]
    step = case.process.steps.filter(key=key).first()
    if step is None or key not in case.step.next_steps:
        raise StepNotAllowed(f"{case} may not move from {case.step.key} to {key!r}")
    return step


def applies(case: Case) -> bool:
    """Whether the case's service evaluates its table at the case's current step."""
    service = case.service
    if service.automation == service.Automation.OFF or not service.decision_table_id:
        return False
    if service.decision_step:
        return case.step.key == service.decision_step
    return case.step.position == case.process.steps.order_by("position")[0].position


def decide_case(*, case: Case, now, by=None) -> Decision:
    """Evaluate the service's table on the case and act on the outcome.

    Runs in the caller's transaction with the case locked; the caller saves the
    case. Under "decide" an approval or rejection is the decision and moves the
    case on; everything else (a referral, or any outcome under "recommend")
    leaves the case with its team and tells the case worker.
    """
    service = case.service
    table_row = service.decision_table
    result = run_table(table_row, case_values(case, today=timezone.localdate(now)))
    outcome, reasons = outcome_of(result)
    kind, target = _kind(service, outcome), None
    if kind == Decision.Kind.DECISION:
        try:
            target = _target_step(case, outcome)
        except StepNotAllowed:
            # The process no longer allows the move the settings name: a case
            # worker decides instead, and the submission still succeeds.
            logger.warning("decision step missing case=%s", case.reference)
            kind = Decision.Kind.REFERRAL
    binding = target is not None
    decision = Decision.objects.create(
        case=case,
        kind=kind,
        outcome=outcome,
        reasons=reasons,
        table=table_row,
        table_hash=table_row.content_hash,
        table_version=table_row.version,
        **stored_fields(result),
        explanation=explanations(parsed(table_row), result, service),
        automated=True,
        legal_basis=_legal_basis(service, automated=binding),
        made_at=now,
        appeal_until=_appeal_until(service, now) if binding else None,
    )
    event_kind = {
        Decision.Kind.DECISION: CaseEvent.Kind.DECISION_MADE,
        Decision.Kind.RECOMMENDATION: CaseEvent.Kind.DECISION_RECOMMENDED,
        Decision.Kind.REFERRAL: CaseEvent.Kind.DECISION_REFERRED,
    }[kind]
    _event(
        case,
        event_kind,
        now,
        by,
        public=binding,
        decision=decision.pk,
        outcome=outcome,
        automated=True,
    )
    if binding:
        _move(case, target, now, by, decision)
    return decision


def stored_fields(result: Result) -> dict:
    """The Decision fields that record ``result``; replay compares the same."""
    stored = as_json(result)
    return {
        "inputs": stored["inputs"],
        "matched_rules": stored["matched_rules"],
        "outputs": stored["outputs"],
        "problem": stored["problem"] or "",
    }


def _move(case: Case, step, now, by, decision: Decision) -> None:
    previous = case.step
    in_force = deadlines_in_force(case, now)
    _enter_step(case, step, now)
    _event(
        case,
        CaseEvent.Kind.MOVED,
        now,
        by,
        public=True,
        **{
            "from": previous.key,
            "to": step.key,
            "status": case.status,
            "outcome": step.outcome,
            "decision": decision.pk,
            "automated": decision.automated,
            **in_force,
        },
    )


@transaction.atomic
def override_decision(
    *, case: Case, outcome: str, reason_text: str, by, expected_state=None
) -> Decision:
    """Decide the case by hand, replacing the current decision or recommendation.

    Needs ``rules.override_decision``. The new Decision refers to the one it
    replaces (nothing is deleted), its explanation is the written reason, and
    the case moves to the service's step for the outcome. Raises ValueError
    for an outcome other than approve or reject or an empty reason,
    StepNotAllowed when the case is not at the deciding step, InvalidMove for
    a closed case, StaleCase if the case changed since the actor saw it.
    """
    if not by.has_perm("rules.override_decision"):
        raise PermissionDenied("Only case workers decide cases.")
    if outcome not in {Decision.Outcome.APPROVE, Decision.Outcome.REJECT}:
        raise ValueError(f"A case worker approves or rejects, not {outcome!r}")
    if not reason_text.strip():
        raise ValueError("A decision by a case worker needs its reasons")
    case = locked(case, expected_state=expected_state)
    if not is_open(case.status):
        raise InvalidMove(case.reference, case.status, Status.IN_PROGRESS)
    step = _target_step(case, outcome)
    now = timezone.now()
    replaced = current_decision(case)
    decision = Decision.objects.create(
        case=case,
        kind=Decision.Kind.OVERRIDE,
        outcome=outcome,
        reasons=["case-worker"],
        table=replaced.table if replaced else None,
        table_hash=replaced.table_hash if replaced else "",
        table_version=replaced.table_version if replaced else None,
        inputs=replaced.inputs if replaced else {},
        explanation={language: reason_text for language, _n in settings.LANGUAGES},
        automated=False,
        legal_basis=_legal_basis(case.service, automated=False),
        replaces=replaced,
        reason_text=reason_text,
        made_by=by,
        made_at=now,
        appeal_until=_appeal_until(case.service, now),
    )
    _event(
        case,
        CaseEvent.Kind.DECISION_OVERRIDDEN,
        now,
        by,
        public=True,
        message=reason_text,
        decision=decision.pk,
        replaces=replaced.pk if replaced else None,
        outcome=outcome,
        automated=False,
        # What the open data counts as an automated decision challenged.
        overrides_automated=bool(
            replaced and replaced.automated and replaced.kind == Decision.Kind.DECISION
        ),
    )
    _move(case, step, now, by, decision)
    save_change(case, now)
    return decision


@transaction.atomic
def appeal_decision(*, case: Case, text: str) -> CaseEvent:
    """Take the citizen's appeal: the case goes back to a case worker.

    The appeal is a public event; the case re-enters the deciding step with
    its team (a closed case is reopened) and the holder is told by e-mail.
    Raises AppealNotAllowed when there is nothing to appeal or the period is
    over, or when this decision was appealed already.
    """
    case = locked(case)
    now = timezone.now()
    decision = appealable(case, now)
    if decision is None:
        raise AppealNotAllowed(f"{case} has no decision open to appeal")
    reopened = case.status == Status.CLOSED
    if reopened:
        case.status = Status.REOPENED
        case.closed_at = None
    if case.on_hold_since:
        resume_clock(case, now)
    key = case.service.decision_step
    steps = case.process.steps.order_by("position")
    step = steps.filter(key=key).first() if key else steps.first()
    case.due_at = None
    _enter_step(case, step, now)
    case.due_at = case.step_due_at
    event = _event(
        case,
        CaseEvent.Kind.APPEALED,
        now,
        None,
        public=True,
        message=text,
        decision=decision.pk,
        step=step.key,
        automated=decision.automated,
        reopened=reopened,
    )
    save_change(case, now)
    from medborg.cases import tasks

    transaction.on_commit(lambda: tasks.notify_holder.enqueue(case.pk, event.pk))
    return event
