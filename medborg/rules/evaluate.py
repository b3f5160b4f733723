"""Evaluate a decision table on input values and explain the result.

Pure: no ORM, no settings. ``evaluate`` returns what a hit policy yields from
the rules that match; it never invents an outcome. When no rule matches, when
UNIQUE finds several rules, when ANY finds rules that disagree, or when an
input is outside the values the table declares, the result carries a
``problem`` and no outputs: Medborg then sends the case to a case worker.
"""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from medborg.rules import feel
from medborg.rules.dmn import DecisionTable

NO_RULE = "no-rule"
AMBIGUOUS = "ambiguous"
CONFLICT = "conflict"
NOT_ALLOWED = "input-not-allowed"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class InputError(ValueError):
    """An input value does not have the type the table declares."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"{name}: {message}")


@dataclass(frozen=True)
class Result:
    table_id: str
    inputs: dict
    matched: tuple[str, ...]
    outputs: dict | list | None
    problem: str | None = None

    @property
    def outcome_rows(self) -> list[dict]:
        """The output rows as a list, whatever the hit policy."""
        if self.outputs is None:
            return []
        return self.outputs if isinstance(self.outputs, list) else [self.outputs]


def coerce_inputs(table: DecisionTable, context: dict) -> dict:
    """Turn JSON-like values into FEEL values by each input's type.

    A name missing from ``context`` is null. Raises InputError naming the input.
    """
    values = {}
    for item in table.inputs:
        try:
            values[item.name] = feel.coerce(context.get(item.name), item.type_ref)
        except ValueError as error:
            raise InputError(item.name, str(error)) from None
    return values


def _priority(table: DecisionTable, row: tuple) -> tuple:
    key = []
    for output, value in zip(table.outputs, row, strict=True):
        order = output.priorities
        if order:
            key.append(order.index(value) if value in order else len(order))
    return tuple(key)


def _aggregate(aggregation: str, rows: list[tuple]):
    values = [row[0] for row in rows if row[0] is not None]
    if aggregation == "COUNT":
        return Decimal(len(values))
    if not values:
        return None
    if aggregation == "SUM":
        return sum(values, Decimal(0))
    return min(values) if aggregation == "MIN" else max(values)


def _collect(table: DecisionTable, hits: list) -> tuple[tuple, dict | list]:
    matched = tuple(rule.id for rule in hits)
    if table.aggregation:
        value = _aggregate(table.aggregation, [rule.outputs for rule in hits])
        return matched, {table.outputs[0].name: value}
    names = table.output_names
    return matched, [dict(zip(names, rule.outputs, strict=True)) for rule in hits]


def _select(table: DecisionTable, hits: list) -> tuple[tuple, dict | list | None, str]:
    """Apply the hit policy: (matched rule ids, outputs, problem or "")."""
    if not hits:
        return (), None, NO_RULE
    policy, names = table.hit_policy, table.output_names
    matched = tuple(rule.id for rule in hits)
    if policy == "COLLECT":
        return (*_collect(table, hits), "")
    if policy == "FIRST":
        hits = hits[:1]
    elif policy == "PRIORITY":
        hits = [min(hits, key=lambda rule: _priority(table, rule.outputs))]
    elif policy == "ANY" and len({rule.outputs for rule in hits}) > 1:
        return matched, None, CONFLICT
    elif policy == "UNIQUE" and len(hits) > 1:
        return matched, None, AMBIGUOUS
    if policy != "ANY":
        matched = (hits[0].id,)
    return matched, dict(zip(names, hits[0].outputs, strict=True)), ""


def evaluate(table: DecisionTable, values: dict) -> Result:
    """Evaluate ``table`` on FEEL values (see ``coerce_inputs``)."""
    row = [values.get(name) for name in table.input_names]
    for item, value in zip(table.inputs, row, strict=True):
        if item.allowed and value is not None and not item.allowed.matches(value):
            return Result(table.id, values, (), None, f"{NOT_ALLOWED}:{item.name}")
    hits = (
        rule
        for rule in table.rules
        if all(test.matches(value) for test, value in zip(rule.tests, row, strict=True))
    )
    # FIRST needs only the first matching rule; the others need them all.
    hits = (
        list(itertools.islice(hits, 1)) if table.hit_policy == "FIRST" else list(hits)
    )
    matched, outputs, problem = _select(table, hits)
    return Result(table.id, values, matched, outputs, problem or None)


def annotation(rule, language: str) -> str:
    """The rule's annotation in ``language``, else the untagged one, else English."""
    notes = rule.annotations
    for key in (language, "", "en"):
        if notes.get(key):
            return notes[key]
    return next(iter(notes.values()), "")


def fill(text: str, values: dict, show: Callable = feel.format_value) -> str:
    """Put input values into ``{name}`` placeholders; unknown names stay as written.

    Only plain names are replaced (no attribute or index access), so an
    annotation cannot reach into Python objects.
    """

    def replace(match):
        name = match.group(1)
        return show(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def explain(
    table: DecisionTable,
    result: Result,
    language: str,
    show: Callable = feel.format_value,
) -> list[str]:
    """Return the matched rules' annotations with the input values filled in."""
    return [
        fill(annotation(table.rule(rule_id), language), result.inputs, show)
        for rule_id in result.matched
        if annotation(table.rule(rule_id), language)
    ]


def as_json(result: Result) -> dict:
    """The result in JSON terms: what is stored and what ``dmn_evaluate`` prints."""

    def convert(row):
        return {name: feel.to_json(value) for name, value in row.items()}

    outputs = result.outputs
    if isinstance(outputs, list):
        outputs = [convert(row) for row in outputs]
    elif outputs is not None:
        outputs = convert(outputs)
    return {
        "inputs": {name: feel.to_json(value) for name, value in result.inputs.items()},
        "matched_rules": list(result.matched),
        "outputs": outputs,
        "problem": result.problem,
    }
