"""The DMN reader, the hit policies, explanations and the guardrails (no database)."""

from decimal import Decimal
from pathlib import Path

import pytest

from medborg.rules import dmn, guardrails
from medborg.rules.evaluate import (
    AMBIGUOUS,
    CONFLICT,
    NO_RULE,
    InputError,
    as_json,
    coerce_inputs,
    evaluate,
    explain,
)

FIXTURES = Path(__file__).with_name("fixtures")
DEMO = Path(__file__).parents[2] / "catalog" / "demo" / "tables"


def table(name: str, decision: str | None = None, folder=FIXTURES):
    return dmn.parse_one((folder / name).read_bytes(), decision)


def run(decision: str, score):
    found = table("hit-policies.dmn", decision)
    return evaluate(found, coerce_inputs(found, {"score": score}))


@pytest.mark.parametrize(
    ("decision", "score", "matched", "outputs"),
    [
        ("unique_table", 3, ["unique_table_r1"], {"result": "low"}),
        ("unique_table", 10, ["unique_table_r2"], {"result": "mid"}),
        ("unique_table", 20, ["unique_table_r2"], {"result": "mid"}),
        ("unique_table", 20.5, ["unique_table_r3"], {"result": "high"}),
        ("first_table", 7, ["first_table_r1"], {"result": "a"}),
        ("priority_table", 7, ["priority_table_r2"], {"result": "mid"}),
        ("priority_table", 12, ["priority_table_r3"], {"result": "high"}),
        ("any_table", 12, ["any_table_r1", "any_table_r2"], {"result": "yes"}),
        (
            "collect_table",
            6,
            ["collect_table_r1", "collect_table_r2"],
            [{"result": 1}, {"result": 2}],
        ),
        (
            "collect_sum",
            11,
            ["collect_sum_r1", "collect_sum_r2", "collect_sum_r3"],
            {"result": 6},
        ),
        ("collect_count", 6, ["collect_count_r1", "collect_count_r2"], {"result": 2}),
    ],
)
def test_hit_policy_gives_the_standard_result(decision, score, matched, outputs):
    result = as_json(run(decision, score))
    assert result["matched_rules"] == matched
    assert result["outputs"] == outputs
    assert result["problem"] is None


@pytest.mark.parametrize(
    ("decision", "score", "problem", "matched"),
    [
        ("unique_gap", 31, NO_RULE, []),
        ("unique_gap", 16, AMBIGUOUS, ["unique_gap_r2", "unique_gap_r4"]),
        ("any_table", 16, CONFLICT, ["any_table_r1", "any_table_r2", "any_table_r3"]),
        ("first_table", -1, NO_RULE, []),
        ("collect_table", -1, NO_RULE, []),
    ],
)
def test_no_rule_or_a_disagreement_gives_no_outputs(decision, score, problem, matched):
    result = run(decision, score)
    assert result.problem == problem
    assert list(result.matched) == matched
    assert result.outputs is None


def test_input_outside_declared_values_is_a_problem_not_a_match():
    bulky = table("bulky-waste.dmn", folder=DEMO)
    result = evaluate(bulky, coerce_inputs(bulky, {"zone": "moon", "volume_m3": 2}))
    assert result.problem == "input-not-allowed:zone"
    assert result.matched == ()


def test_wrong_input_type_names_the_input():
    bulky = table("bulky-waste.dmn", folder=DEMO)
    with pytest.raises(InputError) as raised:
        coerce_inputs(bulky, {"zone": "centre", "volume_m3": "a lot"})
    assert raised.value.name == "volume_m3"


def test_explanation_fills_in_the_values_in_the_language_asked():
    bulky = table("bulky-waste.dmn", folder=DEMO)
    result = evaluate(bulky, coerce_inputs(bulky, {"zone": "rural", "volume_m3": 12}))
    assert result.matched == ("too_large",)
    assert explain(bulky, result, "en") == [
        "We collect at most 10 m³ per booking and you gave 12 m³. Hire a skip, "
        "or split the collection into several bookings."
    ]
    assert explain(bulky, result, "da")[0].startswith("Vi henter højst 10 m³")


def test_placeholders_reach_no_attributes():
    from medborg.rules.evaluate import fill

    values = {"zone": "centre"}
    assert fill("{zone.__class__} {zone} {other}", values) == (
        "{zone.__class__} centre {other}"
    )


def test_untagged_annotation_is_used_for_every_language():
    result = run("unique_table", 4)
    found = table("hit-policies.dmn", "unique_table")
    assert explain(found, result, "sv") == ["Score 4 is below 10."]


def test_demo_tables_are_read_with_their_hit_policies():
    assert [
        (found.id, found.hit_policy, len(found.rules), found.input_names)
        for found in (
            table(name, folder=DEMO)
            for name in ("bulky-waste.dmn", "outdoor-seating.dmn", "parking-permit.dmn")
        )
    ] == [
        ("bulky_waste_booking", "UNIQUE", 6, ["zone", "volume_m3"]),
        (
            "outdoor_seating_recommendation",
            "PRIORITY",
            5,
            ["zone", "pavement_width_left", "season"],
        ),
        (
            "parking_permit_checklist",
            "COLLECT",
            5,
            ["permit_for", "walking_distance", "has_medical_certificate"],
        ),
    ]


@pytest.mark.parametrize(
    ("name", "element", "words"),
    [
        ("rule-order.dmn", 'decision "rule_order"', 'hit policy "RULE ORDER"'),
        ("literal-expression.dmn", 'decision "fee"', "only decision tables"),
        ("unsupported-cell.dmn", 'rule "variable_cell_r1"', "limit"),
        ("expression-input.dmn", 'input "expression_input_i"', "not a plain name"),
        ("dmn12.dmn", "definitions", "DMN 1.3"),
        ("entities.dmn", "file", "not well-formed"),
    ],
)
def test_what_the_engine_cannot_evaluate_is_refused_naming_the_element(
    name, element, words
):
    with pytest.raises(dmn.UnsupportedDMN) as raised:
        dmn.parse((FIXTURES / name).read_bytes())
    assert raised.value.element.startswith(element)
    assert words in str(raised.value)


def test_content_hash_names_the_exact_bytes():
    data = (DEMO / "bulky-waste.dmn").read_bytes()
    assert dmn.content_hash(data) == dmn.content_hash(data.decode())
    assert dmn.content_hash(data) != dmn.content_hash(data + b"\n")


PROTECTED = ["gender", "ethnic origin", "health", "trade union"]


def test_guardrails_accept_the_demo_tables():
    for name in ("bulky-waste.dmn", "outdoor-seating.dmn", "parking-permit.dmn"):
        found = table(name, folder=DEMO)
        bound = set(found.input_names)
        assert guardrails.refusals(found, bound=bound, protected=PROTECTED) == []
        assert guardrails.completeness(found) == []
        assert guardrails.overlaps(found) == []


def _renamed(old: str, new: str, label: str = "Label"):
    xml = (DEMO / "bulky-waste.dmn").read_text()
    xml = xml.replace(f"<text>{old}</text>", f"<text>{new}</text>")
    xml = xml.replace('label="Zone of the address"', f'label="{label}"')
    return dmn.parse_one(xml)


@pytest.mark.parametrize(
    ("name", "label", "term"),
    [
        ("gender", "Kön", "gender"),
        ("ethnic_origin", "Origin", "ethnic origin"),
        ("zone_code", "Health of the applicant", "health"),
        ("trade_union_member", "Member", "trade union"),
    ],
)
def test_protected_characteristics_are_refused(name, label, term):
    found = _renamed("zone", name, label)
    refused = guardrails.refusals(found, bound={name, "volume_m3"}, protected=PROTECTED)
    assert [finding.code for finding in refused] == ["protected"]
    assert f'"{term}"' in refused[0].message


def test_unbound_input_is_refused_with_what_the_service_offers():
    found = table("bulky-waste.dmn", folder=DEMO)
    refused = guardrails.refusals(found, bound={"volume_m3", "today"}, protected=[])
    assert [finding.code for finding in refused] == ["unbound"]
    assert "today, volume_m3" in refused[0].message


def test_tables_without_outcome_and_reason_are_refused():
    found = table("hit-policies.dmn", "unique_table")
    refused = guardrails.refusals(found, bound={"score"}, protected=[])
    assert [finding.message for finding in refused] == [
        'the table needs an output named "outcome"',
        'the table needs an output named "reason"',
    ]


def test_a_gap_is_flagged_with_an_example():
    flags = guardrails.completeness(table("hit-policies.dmn", "unique_gap"))
    assert [(flag.code, flag.example) for flag in flags] == [
        ("incomplete", {"score": Decimal(31)})
    ]


def test_overlapping_unique_rules_are_flagged_with_an_example():
    flags = guardrails.overlaps(table("hit-policies.dmn", "unique_gap"))
    assert [(flag.rules, flag.example) for flag in flags] == [
        (("unique_gap_r2", "unique_gap_r4"), {"score": Decimal(15)}),
        (("unique_gap_r3", "unique_gap_r4"), {"score": Decimal("22.5")}),
    ]


def test_overlaps_matter_only_under_unique():
    assert guardrails.overlaps(table("hit-policies.dmn", "first_table")) == []
