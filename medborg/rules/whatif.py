"""Show what a new version of a decision table would change before it is used.

Two views of a candidate version:

- :func:`compare` sets two parsed versions side by side: the rules added,
  removed and changed (by rule id), and the changes to inputs, outputs and the
  hit policy. Pure: no ORM.
- :func:`what_if` runs the candidate on the service's recent cases and counts
  the cases whose outcome it would change. Read-only: nothing is stored and no
  case moves.
"""

import copy
from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from shapely.geometry import Point, shape
from shapely.prepared import prep

from medborg.cases.models import Case
from medborg.catalog.models import Zone
from medborg.rules import dmn, feel
from medborg.rules.evaluate import Result, as_json
from medborg.rules.models import Decision, DecisionTable
from medborg.rules.selectors import case_values
from medborg.rules.services import outcome_of, run_table

NO_OUTCOME = "none"


# Comparing two versions ------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """An input or output as a version declares it."""

    name: str
    label: str
    type_ref: str
    allowed: str


@dataclass(frozen=True)
class RuleView:
    """A rule as people read it: cells by column name, annotations by language."""

    id: str
    position: int
    tests: dict[str, str]
    outputs: dict[str, str]
    annotations: dict[str, str]

    def same_as(self, other: "RuleView") -> bool:
        return (self.tests, self.outputs, self.annotations) == (
            other.tests,
            other.outputs,
            other.annotations,
        )


@dataclass(frozen=True)
class Change:
    """One thing in both versions (``old`` and ``new``), or in one of them only."""

    name: str
    old: object
    new: object


@dataclass(frozen=True)
class Comparison:
    hit_policy: Change | None
    inputs: list[Change]
    outputs: list[Change]
    added: list[RuleView]
    removed: list[RuleView]
    changed: list[Change]

    @property
    def is_empty(self) -> bool:
        return not (
            self.hit_policy
            or self.inputs
            or self.outputs
            or self.added
            or self.removed
            or self.changed
        )


def _column(item: dmn.Input | dmn.Output) -> Column:
    allowed = item.allowed.text if item.allowed else ""
    return Column(item.name, item.label, item.type_ref, allowed)


def rule_view(table: dmn.DecisionTable, rule: dmn.Rule) -> RuleView:
    """``rule`` of ``table`` with its cells named by input and output."""
    return RuleView(
        id=rule.id,
        position=rule.position,
        tests={
            item.name: test.text
            for item, test in zip(table.inputs, rule.tests, strict=True)
        },
        outputs={
            item.name: feel.format_value(value)
            for item, value in zip(table.outputs, rule.outputs, strict=True)
        },
        annotations=dict(rule.annotations),
    )


def _columns(old: tuple, new: tuple) -> list[Change]:
    """Columns added, removed or declared differently, matched by name."""
    before = {item.name: _column(item) for item in old}
    after = {item.name: _column(item) for item in new}
    names = [*before, *(name for name in after if name not in before)]
    return [
        Change(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def _policy(table: dmn.DecisionTable) -> str:
    if table.aggregation:
        return f"{table.hit_policy} {table.aggregation}"
    return table.hit_policy


def compare(old: dmn.DecisionTable, new: dmn.DecisionTable) -> Comparison:
    """What changed from ``old`` to ``new``.

    Rules are matched by id: a rule is changed when any of its tests, outputs
    or annotations differ. Cells are compared by column name, so moving a
    column changes no rule. Inputs and outputs are matched by name.
    """
    before = {rule.id: rule_view(old, rule) for rule in old.rules}
    after = {rule.id: rule_view(new, rule) for rule in new.rules}
    old_policy, new_policy = _policy(old), _policy(new)
    return Comparison(
        hit_policy=(
            Change("hit_policy", old_policy, new_policy)
            if old_policy != new_policy
            else None
        ),
        inputs=_columns(old.inputs, new.inputs),
        outputs=_columns(old.outputs, new.outputs),
        added=[view for rule_id, view in after.items() if rule_id not in before],
        removed=[view for rule_id, view in before.items() if rule_id not in after],
        changed=[
            Change(rule_id, before[rule_id], view)
            for rule_id, view in after.items()
            if rule_id in before and not before[rule_id].same_as(view)
        ],
    )


# Running a version on recent cases -------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """What the candidate would decide on ``total`` recent cases.

    ``changed`` counts cases whose outcome would differ; ``rules_changed``
    those whose outcome stays but which other rules would decide.
    ``transitions`` holds (old outcome, new outcome, cases) for every pair
    seen, unchanged ones included, the most frequent first.
    """

    total: int
    changed: int
    rules_changed: int
    transitions: list[tuple[str, str, int]]
    examples: list[dict]


@dataclass(frozen=True)
class _Verdict:
    """One case's outcome under one version (or its stored decision)."""

    outcome: str
    rules: list[str]
    inputs: dict


class _Zones:
    """The zones read once, so each case costs no query (``selectors.zone_at``)."""

    def __init__(self):
        self.areas = [
            (key, prep(shape(geometry)))
            for key, geometry in Zone.objects.values_list("key", "geometry")
        ]

    def at(self, latitude, longitude) -> str | None:
        if latitude is None or longitude is None:
            return None
        point = Point(longitude, latitude)
        return next((key for key, area in self.areas if area.covers(point)), None)


def _values(case: Case, zones: _Zones, decided: Decision | None, today) -> dict:
    """The case's values as ``decide_case`` reads them, stored inputs winning.

    The place is left out of ``case_values`` and its zone found in the zones
    read once; everything else is ``case_values`` itself.
    """
    placeless = copy.copy(case)
    placeless.latitude = placeless.longitude = None
    values = case_values(placeless, today=today)
    values["zone"] = zones.at(case.latitude, case.longitude)
    if decided is not None:
        # What was decided on, even if the answers or the zones changed since.
        values.update(decided.inputs)
    return values


def _latest(decisions: list[Decision]) -> tuple[Decision | None, Decision | None]:
    """The latest decision, and the latest one evaluated on a table."""
    ordered = sorted(decisions, key=lambda decision: (decision.made_at, decision.pk))
    with_table = [decision for decision in ordered if decision.table_id is not None]
    return (
        ordered[-1] if ordered else None,
        with_table[-1] if with_table else None,
    )


def _result_of(result: Result) -> _Verdict:
    outcome, _reasons = outcome_of(result)
    return _Verdict(str(outcome), list(result.matched), as_json(result)["inputs"])


def _old(
    active: DecisionTable | None, values: dict, latest: Decision | None
) -> _Verdict:
    if active is not None:
        return _result_of(run_table(active, values))
    if latest is not None:
        return _Verdict(str(latest.outcome), list(latest.matched_rules), {})
    return _Verdict(NO_OUTCOME, [], {})


def _recent_cases(service, limit: int) -> list[Case]:
    decisions = Decision.objects.only(
        "pk", "case_id", "outcome", "table_id", "inputs", "matched_rules", "made_at"
    )
    return list(
        Case.objects.filter(service=service)
        .only("pk", "reference", "answers", "latitude", "longitude", "submitted_at")
        .order_by("-submitted_at", "-pk")
        .prefetch_related(Prefetch("decisions", queryset=decisions))[:limit]
    )


def what_if(
    *, candidate: DecisionTable, limit: int = 5000, examples: int = 10
) -> WhatIf:
    """Run ``candidate`` on the ``limit`` most recent cases of its service.

    Each case is evaluated on its values (``selectors.case_values``) overlaid
    with the inputs stored on its latest decision made with a table: those
    are what was decided on. The old outcome is the service's active table on
    the same values; for a service without one, the case's latest decision;
    for a case without a decision, "none". A case counts as changed when the
    outcome differs, not when only the matched rules do (``rules_changed``).
    ``examples`` lists up to that many changed cases, the most recent first.

    Read-only; at most five queries whatever the number of cases (service,
    active table, zones, cases, their decisions). Raises UnsupportedDMN if a
    stored version can no longer be read.
    """
    service = candidate.service
    active = service.decision_table
    zones, today = _Zones(), timezone.localdate()
    counts, found, rules_changed = Counter(), [], 0
    cases = _recent_cases(service, limit)
    for case in cases:
        latest, decided = _latest(list(case.decisions.all()))
        values = _values(case, zones, decided, today)
        old = _old(active, values, latest)
        new = _result_of(run_table(candidate, values))
        counts[(old.outcome, new.outcome)] += 1
        if old.outcome == new.outcome:
            rules_changed += old.rules != new.rules
        elif len(found) < examples:
            found.append(_example(case, old, new))
    transitions = sorted(
        ((old, new, count) for (old, new), count in counts.items()),
        key=lambda row: (-row[2], row[0], row[1]),
    )
    return WhatIf(
        total=len(cases),
        changed=sum(count for old, new, count in transitions if old != new),
        rules_changed=rules_changed,
        transitions=transitions,
        examples=found,
    )


def _example(case: Case, old: _Verdict, new: _Verdict) -> dict:
    return {
        "reference": case.reference,
        "inputs": {**old.inputs, **new.inputs},
        "old_outcome": old.outcome,
        "new_outcome": new.outcome,
        "old_rules": old.rules,
        "new_rules": new.rules,
    }
