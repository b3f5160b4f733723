"""Deciding cases by table: stored decisions, overrides, appeals and replay."""

import json
from datetime import timedelta
from io import StringIO

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import pytest

from medborg.cases import services as case_services
from medborg.cases.lifecycle import Status
from medborg.cases.models import CaseEvent
from medborg.catalog import demo
from medborg.catalog.models import Service
from medborg.rules import services
from medborg.rules.models import Decision
from medborg.rules.replay import replay_all

CENTRE = {"latitude": 56.8777, "longitude": 14.8091}
RURAL = {"latitude": 56.75, "longitude": 14.6}


@pytest.fixture
def made(db):
    return demo.load()


@pytest.fixture
def staff(made):
    return {user.username: user for user in made["users"]}


def book(volume, place=CENTRE, **extra):
    service = Service.objects.get(slug="bulky-waste-collection")
    answers = {"waste-type": "furniture", "item-count": 2, "volume-m3": volume}
    return case_services.submit_case(
        service=service, answers=answers, address="Storgatan 1", **place, **extra
    )


def test_a_routine_booking_is_decided_on_arrival_with_everything_to_explain_it(made):
    submission = book(2)
    case = submission.case
    decision = Decision.objects.get(case=case)
    table = case.service.decision_table
    assert (decision.kind, decision.outcome, decision.reasons) == (
        "decision",
        "approve",
        ["within-limit"],
    )
    assert (decision.table_id, decision.table_hash, decision.table_version) == (
        table.pk,
        table.content_hash,
        1,
    )
    assert decision.inputs == {"zone": "centre", "volume_m3": 2}
    assert decision.matched_rules == ["within_limit_town"]
    assert decision.outputs == {"outcome": "approve", "reason": "within-limit"}
    assert decision.automated is True
    assert decision.explanation["en"] == (
        "In zone Centre we collect up to 5 m³ per booking. Your booking of 2 m³ "
        "fits in a normal collection."
    )
    assert decision.explanation["sv"].startswith("I zon Centrum hämtar vi")
    assert decision.legal_basis["en"].startswith("Section 28 of förvaltningslagen")
    assert timezone.localtime(decision.appeal_until).date() == (
        timezone.localdate() + timedelta(days=21)
    )
    case.refresh_from_db()
    assert (case.step.key, case.status) == ("booked", Status.IN_PROGRESS)
    kinds = list(case.events.values_list("kind", "is_public", "data__decision"))
    assert kinds == [
        ("case.submitted", True, None),
        ("decision.made", True, decision.pk),
        ("case.moved", True, decision.pk),
    ]


def test_a_load_too_large_is_rejected_and_closed(made):
    case = book(12).case
    case.refresh_from_db()
    decision = Decision.objects.get(case=case)
    assert (decision.outcome, case.step.key, case.status) == (
        "reject",
        "rejected",
        Status.CLOSED,
    )


def test_a_large_load_goes_to_a_case_worker_with_an_internal_referral(made):
    case = book(6, place=RURAL).case
    case.refresh_from_db()
    decision = Decision.objects.get(case=case)
    assert (decision.kind, decision.outcome, decision.inputs) == (
        "referral",
        "refer",
        {"zone": "rural", "volume_m3": 6},
    )
    assert (case.step.key, case.status) == ("received", Status.SUBMITTED)
    event = case.events.get(kind=CaseEvent.Kind.DECISION_REFERRED)
    assert event.is_public is False


def test_a_table_without_a_rule_for_the_case_refers_it_and_says_why(made):
    case = book(2, place={"latitude": None, "longitude": None}).case
    decision = Decision.objects.get(case=case)
    assert (decision.outcome, decision.matched_rules, decision.reasons) == (
        "refer",
        ["place_unknown"],
        ["place-unknown"],
    )


def test_a_value_of_the_wrong_type_refers_and_is_recorded(made):
    case = book("lots").case
    decision = Decision.objects.get(case=case)
    assert (decision.outcome, decision.problem) == ("refer", "input-type:volume_m3")
    assert decision.explanation["en"] == (
        "An answer could not be read, so a case worker decides."
    )


def test_recommend_advises_the_case_worker_and_moves_nothing(made, staff):
    service = Service.objects.get(slug="outdoor-seating-permit")
    case = case_services.submit_case(
        service=service,
        answers={"pavement-width-left": 1.2, "season": "summer"},
        **CENTRE,
    ).case
    assert not Decision.objects.filter(case=case).exists()
    worker = staff["caseworker"]
    for key in ("completeness-check", "assessment", "decision"):
        case = case_services.move_case_to_step(
            case=case, step=case.process.steps.get(key=key), by=worker
        )
    decision = Decision.objects.get(case=case)
    assert (decision.kind, decision.outcome, decision.matched_rules) == (
        "recommendation",
        "reject",
        ["too_narrow"],
    )
    assert case.step.key == "decision"
    assert not case.events.get(kind=CaseEvent.Kind.DECISION_RECOMMENDED).is_public


def test_a_case_worker_overrides_with_reasons_and_nothing_is_deleted(made, staff):
    case = book(6, place=RURAL).case
    referral = Decision.objects.get(case=case)
    decision = services.override_decision(
        case=case,
        outcome="approve",
        reason_text="One trip is enough for these items.",
        by=staff["caseworker"],
    )
    assert decision.replaces == referral
    assert (decision.kind, decision.automated, decision.made_by) == (
        "override",
        False,
        staff["caseworker"],
    )
    assert decision.explanation["sv"] == "One trip is enough for these items."
    assert Decision.objects.filter(case=case).count() == 2
    case.refresh_from_db()
    assert case.step.key == "booked"
    event = case.events.get(kind=CaseEvent.Kind.DECISION_OVERRIDDEN)
    assert (event.is_public, event.data["replaces"]) == (True, referral.pk)


def test_only_case_workers_override_and_a_refusal_changes_nothing(made, staff):
    case = book(6, place=RURAL).case
    events = CaseEvent.objects.count()
    with pytest.raises(services.PermissionDenied):
        services.override_decision(
            case=case, outcome="approve", reason_text="Fine.", by=staff["operator"]
        )
    with pytest.raises(ValueError, match="needs its reasons"):
        services.override_decision(
            case=case, outcome="reject", reason_text=" ", by=staff["caseworker"]
        )
    assert CaseEvent.objects.count() == events
    assert Decision.objects.filter(case=case).count() == 1


def test_the_tracking_page_shows_the_decision_why_the_law_and_the_appeal(made, client):
    submission = book(12)
    response = client.get(reverse("cases:track", kwargs={"token": submission.token}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "We collect at most 10 m³ per booking and you gave 12 m³." in page
    assert "Section 28 of förvaltningslagen (2017:900)" in page
    assert 'name="appeal-text"' in page


def test_an_appeal_reopens_the_case_for_a_case_worker_once(made, client, mailoutbox):
    submission = book(12)
    url = reverse("cases:appeal", kwargs={"token": submission.token})
    response = client.post(url, {"appeal-text": "The sofa is only 4 m³."})
    assert response.status_code == 302
    case = submission.case
    case.refresh_from_db()
    assert (case.step.key, case.status) == ("received", Status.IN_PROGRESS)
    appeal = case.events.get(kind=CaseEvent.Kind.APPEALED)
    assert (appeal.is_public, appeal.message) == (True, "The sofa is only 4 m³.")
    events = CaseEvent.objects.count()
    again = client.post(url, {"appeal-text": "Again."})
    assert again.status_code == 302
    assert CaseEvent.objects.count() == events


def test_an_empty_appeal_is_answered_400_with_the_form(made, client):
    submission = book(12)
    url = reverse("cases:appeal", kwargs={"token": submission.token})
    response = client.post(url, {"appeal-text": ""})
    assert response.status_code == 400
    assert not submission.case.events.filter(kind=CaseEvent.Kind.APPEALED).exists()


def test_no_appeal_after_the_period(made):
    case = book(12).case
    Decision.objects.filter(case=case).update(
        appeal_until=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.AppealNotAllowed):
        services.appeal_decision(case=case, text="Too late?")


def test_every_decision_in_the_database_replays_the_same(made, staff):
    demo.sample_cases(made["services"], made["users"])
    book(2)
    book(12)
    book(6, place=RURAL)
    assert Decision.objects.count() == 8
    report = replay_all()
    assert (report.replayed, report.differences) == (8, [])


def test_replay_reports_a_stored_decision_that_no_longer_reproduces(made):
    case = book(2).case
    Decision.objects.filter(case=case).update(outputs={"outcome": "reject"})
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("replay_decisions", stdout=out)
    assert exit_.value.code == 1
    assert f"{case.reference} decision" in out.getvalue()
    assert "1 differ" in out.getvalue()


def test_replay_command_passes_when_all_is_well(made):
    book(2)
    out = StringIO()
    call_command("replay_decisions", stdout=out)
    assert out.getvalue().strip().endswith("0 differ.")


def test_staff_replay_page_shows_each_decision(made, staff, client):
    case = book(6, place=RURAL).case
    services.override_decision(
        case=case, outcome="approve", reason_text="Fine.", by=staff["caseworker"]
    )
    client.force_login(
        staff["caseworker"], backend="medborg.accounts.backends.StaffBackend"
    )
    page = client.get(
        reverse("staff:decisions", kwargs={"reference": case.reference})
    ).content.decode()
    assert page.count('data-replay="same"') == 1
    assert page.count('data-replay="manual"') == 1


def test_upload_is_versioned_by_content_and_idempotent(made):
    service = Service.objects.get(slug="bulky-waste-collection")
    xml = (demo.TABLES / "bulky-waste.dmn").read_bytes()
    again = services.upload_table(service=service, key="bulky-waste", xml=xml, by=None)
    assert again == service.decision_table
    changed = xml.replace(b"&lt;= 5</text>", b"&lt;= 4</text>")
    newer = services.upload_table(
        service=service, key="bulky-waste", xml=changed, by=None
    )
    # Lowering one limit leaves a gap, which the upload flags with an example.
    assert (newer.version, newer.findings) == (
        2,
        [
            {
                "code": "incomplete",
                "message": "no rule covers some combinations of input values",
                "example": {"zone": "centre", "volume_m3": 4.5},
                "rules": [],
            }
        ],
    )
    assert newer.content_hash != again.content_hash


def test_upload_refuses_a_protected_input_and_stores_nothing(made):
    service = Service.objects.get(slug="bulky-waste-collection")
    xml = (demo.TABLES / "bulky-waste.dmn").read_bytes()
    bad = xml.replace(b"<text>zone</text>", b"<text>religion</text>")
    with pytest.raises(services.TableRefused, match="protected characteristic"):
        services.upload_table(service=service, key="bulky-waste", xml=bad, by=None)
    assert service.decision_tables.count() == 1


def test_automation_settings_are_checked_against_the_process(made):
    service = Service.objects.get(slug="bulky-waste-collection")
    service.automation_basis_sv = service.automation_basis_en = ""
    service.automation_basis_da = service.automation_basis = ""
    service.approve_step = "collected"
    with pytest.raises(ValidationError) as raised:
        service.full_clean()
    assert set(raised.value.message_dict) == {"automation_basis_sv", "approve_step"}


def test_dmn_evaluate_prints_each_decision(capsys):
    call_command(
        "dmn_evaluate",
        str(demo.TABLES / "bulky-waste.dmn"),
        "--context",
        '{"zone": "rural", "volume_m3": 2.5}',
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["decisions"] == [
        {
            "decision": "bulky_waste_booking",
            "name": "Bulky waste booking",
            "hit_policy": "UNIQUE",
            "outputs": {"outcome": "approve", "reason": "within-limit"},
            "matched_rules": ["within_limit_rural"],
            "problem": None,
            "explanation": "In the countryside (zone rural) we collect up to 3 m³ "
            "per booking. Your booking of 2.5 m³ fits in a normal collection.",
        }
    ]


def test_dmn_evaluate_collect_gives_a_list_and_no_match_gives_null(capsys):
    from pathlib import Path

    fixtures = Path(__file__).with_name("fixtures")
    call_command(
        "dmn_evaluate",
        str(fixtures / "hit-policies.dmn"),
        "--context",
        '{"score": -1}',
    )
    printed = {
        d["decision"]: d for d in json.loads(capsys.readouterr().out)["decisions"]
    }
    assert printed["collect_table"]["outputs"] is None
    assert printed["unique_table"]["outputs"] == {"result": "low"}
    call_command(
        "dmn_evaluate",
        str(fixtures / "hit-policies.dmn"),
        "--decision",
        "collect_table",
        "--context",
        '{"score": 5}',
    )
    printed = json.loads(capsys.readouterr().out)["decisions"]
    assert printed[0]["outputs"] == [{"result": 1}, {"result": 2}]


def test_dmn_evaluate_exits_2_on_anything_unsupported(capsys):
    from pathlib import Path

    with pytest.raises(SystemExit) as exit_:
        call_command(
            "dmn_evaluate", str(Path(__file__).with_name("fixtures") / "rule-order.dmn")
        )
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert 'hit policy "RULE ORDER"' in captured.err


def test_upload_refuses_another_services_key_and_non_utf8(made):
    other = Service.objects.get(slug="outdoor-seating-permit")
    seating = (demo.TABLES / "outdoor-seating.dmn").read_bytes()
    with pytest.raises(services.TableRefused, match="another service"):
        services.upload_table(service=other, key="bulky-waste", xml=seating, by=None)
    xml = (demo.TABLES / "bulky-waste.dmn").read_bytes()
    service = Service.objects.get(slug="bulky-waste-collection")
    latin1 = xml.decode().replace("Vi hämtar", "Vi hamtar").encode("utf-8")
    latin1 = latin1.replace(
        b"Bulky waste booking", "Grovavfall bokning ö".encode("latin-1")
    )
    with pytest.raises(services.dmn.UnsupportedDMN):
        services.upload_table(service=service, key="bulky-waste", xml=latin1, by=None)
    assert service.decision_tables.count() == 1


def test_a_decision_the_process_no_longer_allows_becomes_a_referral(made):
    Service.objects.filter(slug="bulky-waste-collection").update(
        approve_step="collected"
    )
    submission = book(2)
    decision = Decision.objects.get(case=submission.case)
    assert (decision.kind, decision.outcome) == ("referral", "approve")
    submission.case.refresh_from_db()
    assert submission.case.step.key == "received"
