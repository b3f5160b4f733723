"""Read DMN 1.3 decision tables into plain, immutable objects.

Pure: no ORM. The XML is parsed with defusedxml (a table is uploaded by staff
and must not be able to expand entities or reach the network). Everything the
engine cannot evaluate exactly is refused here with :class:`UnsupportedDMN`,
naming the element, so a table is never evaluated half-right:

- only ``decision`` elements holding a ``decisionTable`` (no literal
  expressions, no decisions that require other decisions);
- hit policies UNIQUE, FIRST, PRIORITY, ANY and COLLECT (with or without the
  SUM, MIN, MAX or COUNT aggregation); not RULE ORDER or OUTPUT ORDER;
- input expressions that are a plain name (``volume_m3``), which is how an
  input is bound to a value of the case;
- input entries in FEEL simple unary tests, output entries as FEEL literals
  (see :mod:`medborg.rules.feel`).

Rule annotations come from DMN 1.3 ``annotationEntry`` cells, one column per
language when the columns are named ``sv``, ``da`` or ``en``, or from the
rule's ``description`` as Camunda Modeler writes it.
"""

import hashlib
import re
from dataclasses import dataclass, field

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from medborg.rules import feel

NAMESPACE = "https://www.omg.org/spec/DMN/20191111/MODEL/"
HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT"})
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
TYPES = frozenset({"string", "number", "boolean", "date"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Camunda Modeler and dmn-js write the type names with their FEEL spelling.
TYPE_ALIASES = {"integer": "number", "long": "number", "double": "number"}


class UnsupportedDMN(ValueError):
    """The file is not a DMN 1.3 table the engine can evaluate exactly."""

    def __init__(self, element: str, message: str):
        self.element = element
        super().__init__(f"{element}: {message}")


@dataclass(frozen=True)
class Input:
    id: str
    label: str
    name: str
    type_ref: str
    allowed: feel.UnaryTests | None


@dataclass(frozen=True)
class Output:
    id: str
    label: str
    name: str
    type_ref: str
    allowed: feel.UnaryTests | None

    @property
    def priorities(self) -> list:
        """The output's values from highest to lowest priority (PRIORITY)."""
        return self.allowed.literals() if self.allowed else []


@dataclass(frozen=True)
class Rule:
    id: str
    position: int
    tests: tuple[feel.UnaryTests, ...]
    outputs: tuple
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DecisionTable:
    id: str
    name: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.rules if rule.id == rule_id)

    @property
    def input_names(self) -> list[str]:
        return [item.name for item in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [item.name for item in self.outputs]


def content_hash(xml: bytes | str) -> str:
    """Name a table's exact content: the SHA-256 of its bytes."""
    data = xml.encode() if isinstance(xml, str) else xml
    return hashlib.sha256(data).hexdigest()


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element, name: str) -> list:
    return [child for child in element if _tag(child) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _text(element) -> str:
    text = _child(element, "text") if element is not None else None
    return (text.text or "").strip() if text is not None else ""


def _where(element, kind: str) -> str:
    ident = element.get("id") or element.get("name") or element.get("label")
    return f'{kind} "{ident}"' if ident else kind


def _type(element, where: str) -> str:
    raw = (element.get("typeRef") or "").strip()
    type_ref = TYPE_ALIASES.get(raw.lower(), raw.lower())
    if type_ref and type_ref not in TYPES:
        raise UnsupportedDMN(where, f'the type "{raw}" is not supported')
    return type_ref


def _tests(text: str, where: str) -> feel.UnaryTests:
    try:
        return feel.parse_unary_tests(text)
    except feel.FeelError as error:
        raise UnsupportedDMN(where, str(error)) from None


def _literal(text: str, where: str):
    try:
        return feel.parse_literal(text)
    except feel.FeelError as error:
        raise UnsupportedDMN(where, str(error)) from None


def _allowed(element, child: str, where: str) -> feel.UnaryTests | None:
    values = _child(element, child)
    if values is None or not _text(values):
        return None
    return _tests(_text(values), f"{where} {child}")


def _input(element) -> Input:
    where = _where(element, "input")
    expression = _child(element, "inputExpression")
    if expression is None:
        raise UnsupportedDMN(where, "it has no inputExpression")
    name = _text(expression)
    if not NAME.match(name):
        raise UnsupportedDMN(
            where,
            f'the input expression "{name}" is not a plain name; an input must '
            "name one value of the case, such as volume_m3",
        )
    return Input(
        id=element.get("id", ""),
        label=element.get("label") or name,
        name=name,
        type_ref=_type(expression, where),
        allowed=_allowed(element, "inputValues", where),
    )


def _output(element, single: bool) -> Output:
    where = _where(element, "output")
    name = element.get("name") or ""
    if not name and not single:
        raise UnsupportedDMN(where, "a table with several outputs must name each")
    return Output(
        id=element.get("id", ""),
        label=element.get("label") or name,
        name=name or "result",
        type_ref=_type(element, where),
        allowed=_allowed(element, "outputValues", where),
    )


def _annotations(element, columns: list[str]) -> dict[str, str]:
    entries = _children(element, "annotationEntry")
    notes = {
        (columns[i] if i < len(columns) else str(i)): _text(entry)
        for i, entry in enumerate(entries)
        if _text(entry)
    }
    description = _child(element, "description")
    if description is not None and (description.text or "").strip():
        notes.setdefault("", description.text.strip())
    return notes


def _rule(element, position, inputs, outputs, columns) -> Rule:
    where = _where(element, "rule")
    entries = _children(element, "inputEntry")
    results = _children(element, "outputEntry")
    if len(entries) != len(inputs) or len(results) != len(outputs):
        raise UnsupportedDMN(
            where,
            f"it has {len(entries)} input and {len(results)} output entries; "
            f"the table has {len(inputs)} inputs and {len(outputs)} outputs",
        )
    return Rule(
        id=element.get("id") or f"rule-{position}",
        position=position,
        tests=tuple(
            _tests(_text(entry), f"{where}, input {item.label!r}")
            for entry, item in zip(entries, inputs, strict=True)
        ),
        outputs=tuple(
            _literal(_text(entry), f"{where}, output {item.name!r}")
            for entry, item in zip(results, outputs, strict=True)
        ),
        annotations=_annotations(element, columns),
    )


def _hit_policy(table, where: str, outputs) -> tuple[str, str | None]:
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    aggregation = (table.get("aggregation") or "").upper() or None
    if policy not in HIT_POLICIES:
        raise UnsupportedDMN(where, f'the hit policy "{policy}" is not supported')
    if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
        raise UnsupportedDMN(where, f'the aggregation "{aggregation}" is not supported')
    if aggregation and len(outputs) != 1:
        raise UnsupportedDMN(where, "an aggregation needs exactly one output")
    if policy == "PRIORITY" and not any(output.priorities for output in outputs):
        raise UnsupportedDMN(
            where, "PRIORITY needs outputValues that list the outputs by priority"
        )
    return policy, aggregation


def _table(decision) -> DecisionTable:
    where = _where(decision, "decision")
    if _child(decision, "informationRequirement") is not None:
        raise UnsupportedDMN(where, "decisions that require other decisions")
    table = _child(decision, "decisionTable")
    if table is None:
        raise UnsupportedDMN(where, "only decision tables can be evaluated")
    inputs = tuple(_input(element) for element in _children(table, "input"))
    output_elements = _children(table, "output")
    if not output_elements:
        raise UnsupportedDMN(where, "the table has no output")
    single = len(output_elements) == 1
    outputs = tuple(_output(element, single) for element in output_elements)
    if len({output.name for output in outputs}) != len(outputs):
        raise UnsupportedDMN(where, "two outputs have the same name")
    policy, aggregation = _hit_policy(table, where, outputs)
    columns = [element.get("name", "") for element in _children(table, "annotation")]
    rules = tuple(
        _rule(element, position, inputs, outputs, columns)
        for position, element in enumerate(_children(table, "rule"), start=1)
    )
    if len({rule.id for rule in rules}) != len(rules):
        raise UnsupportedDMN(where, "two rules have the same id")
    return DecisionTable(
        id=decision.get("id", ""),
        name=decision.get("name") or decision.get("id", ""),
        hit_policy=policy,
        aggregation=aggregation,
        inputs=inputs,
        outputs=outputs,
        rules=rules,
    )


def parse(xml: bytes | str) -> list[DecisionTable]:
    """Return every decision table of a DMN 1.3 file, or raise UnsupportedDMN."""
    try:
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise UnsupportedDMN("file", f"not well-formed XML ({error})") from None
    if root.tag != f"{{{NAMESPACE}}}definitions":
        raise UnsupportedDMN(
            "definitions",
            f"the file must be DMN 1.3 (a definitions element in {NAMESPACE})",
        )
    decisions = _children(root, "decision")
    if not decisions:
        raise UnsupportedDMN("definitions", "the file holds no decision")
    return [_table(decision) for decision in decisions]


def parse_one(xml: bytes | str, decision_id: str | None = None) -> DecisionTable:
    """Return the table ``decision_id``, or the file's only one."""
    tables = parse(xml)
    if decision_id is None:
        if len(tables) != 1:
            raise UnsupportedDMN(
                "definitions",
                f"the file holds {len(tables)} decisions; name the one to use",
            )
        return tables[0]
    for table in tables:
        if table.id == decision_id:
            return table
    raise UnsupportedDMN(f'decision "{decision_id}"', "not in the file")
