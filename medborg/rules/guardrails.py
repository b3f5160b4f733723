"""Check a decision table before it may decide anything about a citizen.

Pure: no ORM. Two kinds of finding:

- **refusals** (:func:`refusals`): the table cannot be used at all. An input
  that is not bound to a value of the case, an input that names a protected
  characteristic, or outputs that do not say what Medborg must do.
- **flags** (:func:`completeness` and :func:`overlaps`): the table can be used,
  but some combination of input values has no rule (that case goes to a case
  worker) or, under UNIQUE, several rules (also to a case worker). Each flag
  carries an example combination so the author can fix the table.

Completeness and overlaps are found by probing each input at the values its
rules mention and between and beyond them: the set of matching rules can only
change at those values, so the probes cover every region of the input space.
An input with declared ``inputValues`` is probed at exactly those values. A
missing (null) value is not probed: a case without an answer that no rule
covers goes to a case worker.
"""

import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from medborg.rules.dmn import DecisionTable, Input

OUTCOMES = ("approve", "reject", "refer")
# Probing stops here; the table is then reported as too large to check fully.
MAX_COMBINATIONS = 200_000


class OtherText(str):
    """A text no rule names, shown as such in examples."""


OTHER_TEXT = OtherText("\u2026")


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    example: dict | None = None
    rules: tuple[str, ...] = ()


def _words(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9åäöæø]+", text.casefold())) - {""}


def _names_protected(item: Input, protected: list[str]) -> str | None:
    words = _words(item.name) | _words(item.label)
    for term in protected:
        term_words = _words(term)
        if term_words and term_words <= words:
            return term
    return None


def refusals(
    table: DecisionTable, *, bound: set[str], protected: list[str]
) -> list[Finding]:
    """Everything that stops ``table`` from being used by a service."""
    found = []
    for item in table.inputs:
        term = _names_protected(item, protected)
        if term:
            found.append(
                Finding(
                    "protected",
                    f'input "{item.label}" ({item.name}) concerns a protected '
                    f'characteristic ("{term}"); such inputs are never allowed',
                )
            )
        elif item.name not in bound:
            found.append(
                Finding(
                    "unbound",
                    f'input "{item.label}" ({item.name}) is not a value of the '
                    f"case; the service offers {', '.join(sorted(bound))}",
                )
            )
    return found + _output_refusals(table)


def _output_refusals(table: DecisionTable) -> list[Finding]:
    names = table.output_names
    found = [
        Finding("output", f'the table needs an output named "{name}"')
        for name in ("outcome", "reason")
        if name not in names
    ]
    if "outcome" in names:
        index = names.index("outcome")
        for rule in table.rules:
            if rule.outputs[index] not in OUTCOMES:
                found.append(
                    Finding(
                        "outcome",
                        f'rule "{rule.id}" gives the outcome '
                        f'"{rule.outputs[index]}"; an outcome is one of '
                        f"{', '.join(OUTCOMES)}",
                        rules=(rule.id,),
                    )
                )
    return found


def _between(low, high):
    if isinstance(low, Decimal):
        return [(low + high) / 2]
    return [low + timedelta(days=1)] if high - low > timedelta(days=1) else []


def _probes(table: DecisionTable, position: int) -> list:
    item = table.inputs[position]
    if item.allowed is not None and item.allowed.is_enumeration():
        return item.allowed.literals()
    if item.type_ref == "boolean":
        return [True, False]
    points = []
    for rule in table.rules:
        points += [p for p in rule.tests[position].literals() if p not in points]
    texts = [p for p in points if isinstance(p, str)]
    kind = date if item.type_ref == "date" else Decimal
    ordered = sorted(p for p in points if isinstance(p, kind))
    if item.type_ref == "string" or texts or not ordered:
        return [*texts, OTHER_TEXT]
    step = Decimal(1) if kind is Decimal else timedelta(days=1)
    probes = [ordered[0] - step]
    for low, high in itertools.pairwise(ordered):
        probes += [low, *_between(low, high)]
    return [*probes, ordered[-1], ordered[-1] + step]


def _masks(table: DecisionTable) -> list[list[tuple[object, int]]]:
    """For each input, each probe value with the bit set of rules it satisfies."""
    per_input = []
    for position in range(len(table.inputs)):
        column = []
        for value in _probes(table, position):
            mask = 0
            for bit, rule in enumerate(table.rules):
                if rule.tests[position].matches(value):
                    mask |= 1 << bit
            column.append((value, mask))
        per_input.append(column)
    return per_input


def _example(table: DecisionTable, combination) -> dict:
    return {
        item.name: value
        for item, (value, _mask) in zip(table.inputs, combination, strict=True)
    }


def _combinations(table: DecisionTable):
    columns = _masks(table)
    total = 1
    for column in columns:
        total *= len(column)
    everything = (1 << len(table.rules)) - 1
    for combination in itertools.islice(itertools.product(*columns), MAX_COMBINATIONS):
        mask = everything
        for _value, bits in combination:
            mask &= bits
        yield combination, mask
    if total > MAX_COMBINATIONS:
        yield None, total


def completeness(table: DecisionTable) -> list[Finding]:
    """Flag a combination of input values that no rule covers (the first found)."""
    for combination, mask in _combinations(table):
        if combination is None:
            return [_too_large(mask)]
        if mask == 0:
            return [
                Finding(
                    "incomplete",
                    "no rule covers some combinations of input values",
                    example=_example(table, combination),
                )
            ]
    return []


def overlaps(table: DecisionTable, limit: int = 10) -> list[Finding]:
    """Under UNIQUE, flag pairs of rules that match the same input values."""
    if table.hit_policy != "UNIQUE":
        return []
    found, seen = [], set()
    for combination, mask in _combinations(table):
        if combination is None:
            return [*found, _too_large(mask)]
        if mask & (mask - 1) == 0:
            continue
        rules = tuple(
            rule.id for bit, rule in enumerate(table.rules) if mask >> bit & 1
        )
        if rules in seen:
            continue
        seen.add(rules)
        found.append(
            Finding(
                "overlap",
                f"rules {', '.join(rules)} all match the same input values",
                example=_example(table, combination),
                rules=rules,
            )
        )
        if len(found) == limit:
            break
    return found


def _too_large(total: int) -> Finding:
    return Finding(
        "too-large",
        f"the table has {total} combinations of input values to check; only the "
        f"first {MAX_COMBINATIONS} were checked",
    )
