"""What a new version of a table would change: in its rules and on recent cases."""

from django.utils import timezone

import pytest

from medborg.cases.models import Case
from medborg.catalog.models import Service
from medborg.rules import dmn, services, whatif
from medborg.rules.models import Decision, DecisionTable
from medborg.rules.selectors import case_values
from medborg.rules.whatif import Change, Column, WhatIf, compare, what_if

# The limit for the centre and the suburbs lowered from 5 m³ to 1 m³.
LOWER_LIMIT = [(b"&lt;= 5</text>", b"&lt;= 1</text>"), (b"(5..10]", b"(1..10]")]
SUBURBS = "Fagrabäcksvägen 7, Växjö"  # 2 m³ in the suburbs
ROTTNE = "Skolvägen 3, Rottne"  # 6 m³ in the countryside
INGELSTAD = "Växjövägen 15, Ingelstad"  # 1.5 m³ in the countryside


def edited(xml: bytes, *replacements) -> bytes:
    for old, new in replacements:
        assert old in xml
        xml = xml.replace(old, new)
    return xml


def reference(address):
    return Case.objects.get(address=address).reference


@pytest.fixture
def lower(bulky, bulky_xml):
    """Version 2 of the bulky waste table, with the lower limit in town."""
    xml = edited(bulky_xml, *LOWER_LIMIT)
    return services.upload_table(service=bulky, key="bulky-waste", xml=xml, by=None)


def test_a_lower_limit_refers_the_booking_it_no_longer_covers(lower):
    assert what_if(candidate=lower) == WhatIf(
        total=3,
        changed=1,
        rules_changed=0,
        transitions=[
            ("approve", "approve", 1),
            ("approve", "refer", 1),
            ("refer", "refer", 1),
        ],
        examples=[
            {
                "reference": reference(SUBURBS),
                "inputs": {"zone": "suburbs", "volume_m3": 2},
                "old_outcome": "approve",
                "new_outcome": "refer",
                "old_rules": ["within_limit_town"],
                "new_rules": ["large_load_town"],
            }
        ],
    )


def test_the_active_version_changes_nothing(bulky):
    result = what_if(candidate=bulky.decision_table)

    assert (result.total, result.changed, result.rules_changed) == (3, 0, 0)
    assert result.transitions == [("approve", "approve", 2), ("refer", "refer", 1)]
    assert result.examples == []


def test_other_rules_with_the_same_outcome_are_counted_apart(bulky, bulky_xml):
    xml = edited(bulky_xml, (b'"within_limit_town"', b'"small_load_town"'))
    renamed = services.upload_table(service=bulky, key="bulky-waste", xml=xml, by=None)

    result = what_if(candidate=renamed)

    assert (result.total, result.changed, result.rules_changed) == (3, 0, 1)
    assert result.examples == []


def test_the_stored_inputs_win_over_later_answers(lower):
    case = Case.objects.get(address=SUBURBS)
    Case.objects.filter(pk=case.pk).update(answers={**case.answers, "volume-m3": 50})

    result = what_if(candidate=lower)

    assert result.changed == 1
    assert result.examples[0]["inputs"] == {"zone": "suburbs", "volume_m3": 2}


def test_without_an_active_table_the_decisions_are_the_old_outcomes(bulky, lower):
    Service.objects.filter(pk=bulky.pk).update(
        decision_table=None, automation=Service.Automation.OFF
    )
    Decision.objects.filter(case__address=INGELSTAD).delete()

    result = what_if(candidate=DecisionTable.objects.get(pk=lower.pk))

    assert result.transitions == [
        ("approve", "refer", 1),
        ("none", "approve", 1),
        ("refer", "refer", 1),
    ]
    assert result.changed == 2
    assert [example["reference"] for example in result.examples] == [
        reference(INGELSTAD),
        reference(SUBURBS),
    ]
    assert result.examples[0] == {
        "reference": reference(INGELSTAD),
        "inputs": {"zone": "rural", "volume_m3": 1.5},
        "old_outcome": "none",
        "new_outcome": "approve",
        "old_rules": [],
        "new_rules": ["within_limit_rural"],
    }


def test_only_the_most_recent_cases_are_tried(lower):
    result = what_if(candidate=lower, limit=2, examples=0)

    assert (result.total, result.changed, result.examples) == (2, 0, [])
    assert result.transitions == [("approve", "approve", 1), ("refer", "refer", 1)]


def test_examples_are_capped_but_every_change_is_counted(lower):
    result = what_if(candidate=lower, examples=0)

    assert (result.changed, result.examples) == (1, [])


def test_the_queries_do_not_grow_with_the_cases(lower, django_assert_num_queries):
    candidate = DecisionTable.objects.get(pk=lower.pk)

    # Service, its active table, zones, cases, their decisions.
    with django_assert_num_queries(5):
        assert what_if(candidate=candidate).total == 3


def test_the_values_are_those_decide_case_reads(bulky):
    zones, today = whatif._Zones(), timezone.localdate()

    for case in Case.objects.filter(service=bulky):
        expected = case_values(case, today=today)
        assert whatif._values(case, zones, None, today) == expected


# Comparing versions (no database) ---------------------------------------------


@pytest.fixture
def table(bulky_xml):
    return dmn.parse_one(bulky_xml)


def test_the_same_table_has_no_changes(table):
    assert compare(table, table).is_empty


def test_rules_are_added_removed_and_changed_by_id(bulky_xml, table):
    xml = edited(
        bulky_xml,
        *LOWER_LIMIT,
        (b'"place_unknown"', b'"address_unknown"'),
        (b"Hire a skip", b"Book a skip"),
    )

    found = compare(table, dmn.parse_one(xml))

    assert [rule.id for rule in found.added] == ["address_unknown"]
    assert [rule.id for rule in found.removed] == ["place_unknown"]
    assert [change.name for change in found.changed] == [
        "within_limit_town",
        "large_load_town",
        "too_large",
    ]
    too_large = found.changed[2]
    assert (
        too_large.old.tests
        == too_large.new.tests
        == {
            "zone": "-",
            "volume_m3": "> 10",
        }
    )
    assert too_large.new.outputs == {"outcome": "reject", "reason": "too-large"}
    assert "Book a skip" in too_large.new.annotations["en"]
    assert (found.hit_policy, found.inputs, found.outputs) == (None, [], [])


def test_inputs_outputs_and_the_hit_policy_are_compared(bulky_xml, table):
    xml = edited(
        bulky_xml,
        (b'hitPolicy="UNIQUE"', b'hitPolicy="FIRST"'),
        (b'label="Volume (m\xc2\xb3)"', b'label="Volume"'),
        (b'label="Reason" name="reason"', b'label="Why" name="reason"'),
    )

    found = compare(table, dmn.parse_one(xml))

    assert found.hit_policy == Change("hit_policy", "UNIQUE", "FIRST")
    assert found.inputs == [
        Change(
            "volume_m3",
            Column("volume_m3", "Volume (m³)", "number", ""),
            Column("volume_m3", "Volume", "number", ""),
        )
    ]
    assert found.outputs == [
        Change(
            "reason",
            Column("reason", "Reason", "string", ""),
            Column("reason", "Why", "string", ""),
        )
    ]
    assert found.changed == []
