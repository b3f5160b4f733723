import io
import json
import math
from collections import Counter
from datetime import datetime

from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

import pytest

from medborg import municipality
from medborg.accounts.models import Team, User
from medborg.accounts.roles import Role
from medborg.cases.lifecycle import Status
from medborg.cases.models import Case, CaseEvent, Channel
from medborg.catalog import demo as demo_data
from medborg.catalog.models import Question, Service
from medborg.opendata.models import Snapshot
from medborg.processes import validation
from medborg.processes.models import Process, Step
from medborg.rules.models import Decision

REQUIRED_SLUGS = {
    "street-light-out",
    "pothole",
    "overfull-bin",
    "graffiti",
    "fallen-tree",
    "snow-and-ice",
    "broken-playground-equipment",
    "disabled-parking-permit",
    "outdoor-seating-permit",
    "bulky-waste-collection",
}

PROCESS_OF_SERVICE = {
    "street-light-out": "report",
    "snow-and-ice": "report",
    "graffiti": "report",
    "fallen-tree": "report-parks",
    "broken-playground-equipment": "report-parks",
    "overfull-bin": "report-waste",
    "littering": "report-waste",
    "damaged-road-sign": "report-traffic",
    "pothole": "pothole",
    "disabled-parking-permit": "permit-parking",
    "outdoor-seating-permit": "permit",
    "bulky-waste-collection": "collection",
    "bin-emptying": "bin-emptying",
    "sensor-fault": "sensor-fault",
}
# The bins' cases (docs/bins.md) come from the sensors, not the sample stories.
SAMPLE = {"channel__in": [c for c in Channel.values if c != Channel.SENSOR]}

REPORT_STEPS = [
    ("received", ""),
    ("assessed", ""),
    ("in-progress", ""),
    ("resolved", "resolved"),
    ("rejected", "rejected"),
    ("duplicate", "duplicate"),
    ("referred", "referred"),
]
PERMIT_STEPS = [
    ("received", ""),
    ("completeness-check", ""),
    ("assessment", ""),
    ("decision", ""),
    ("granted", "resolved"),
    ("refused", "rejected"),
    ("referred", "referred"),
]


@pytest.fixture
def demo(db, capsys):
    call_command("load_demo")
    return capsys.readouterr().out


def test_demo_has_the_promised_services_users_and_cases(demo):
    assert set(Service.objects.values_list("slug", flat=True)) >= REQUIRED_SLUGS
    assert set(
        User.objects.filter(is_demo=True).values_list("username", flat=True)
    ) == {role.value for role in Role}
    assert Case.objects.filter(**SAMPLE).count() == 32
    assert Counter(
        Case.objects.filter(channel=Channel.SENSOR).values_list(
            "service__slug", flat=True
        )
    ) == {"bin-emptying": 4, "sensor-fault": 1}
    assert "medborg-demo" in demo
    assert "/track/" in demo


def test_demo_writes_a_year_of_past_cases_and_their_open_data(db, monkeypatch):
    monkeypatch.setattr(
        "medborg.catalog.management.commands.load_demo.HISTORY_CASES", 60
    )
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    past = Case.objects.filter(reference__startswith="HIS-")
    assert past.count() == 60
    assert not past.exclude(contact_email="", description="", address="").exists()
    received = Snapshot.objects.filter(
        indicator="received", scope="municipality", granularity="month"
    ).aggregate(total=Sum("value"))["total"]
    assert received == Case.objects.count()
    assert "60 past cases" in out.getvalue()


def test_demo_loads_only_into_an_empty_catalog(demo, capsys):
    count = Service.objects.count()
    call_command("load_demo")
    assert "left as it is" in capsys.readouterr().out
    assert Service.objects.count() == count


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_every_demo_text_exists_in_every_language(demo, language):
    for service in Service.objects.all():
        for field in ("name", "short_description", "legal_basis", "keywords"):
            assert getattr(service, f"{field}_{language}"), (service.slug, field)
        for question in service.questions.all():
            assert getattr(question, f"label_{language}"), question.key
            for choice in question.choices.all():
                assert getattr(choice, f"label_{language}"), choice.value


def test_every_kind_of_question_is_used(demo):
    assert set(Question.objects.values_list("kind", flat=True)) == set(Question.Kind)


def test_every_demo_form_renders_and_tasks_have_none(demo, client):
    for slug, kind in Service.objects.values_list("slug", "kind"):
        response = client.get(reverse("cases:new", kwargs={"slug": slug}))
        expected = 404 if kind == Service.Kind.TASK else 200
        assert response.status_code == expected, slug
    assert Service.objects.filter(kind=Service.Kind.TASK).count() == 2


def sign_in(client):
    return client.post(
        reverse("staff:login"),
        {"username": "caseworker", "password": "medborg-demo"},
    )


def test_demo_users_cannot_sign_in_in_production(demo, client, settings):
    assert sign_in(client)["Location"] == reverse("staff:start")
    client.post(reverse("staff:logout"))
    settings.PRODUCTION = True
    response = sign_in(client)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


# Processes ---------------------------------------------------------------------------


def test_every_demo_process_is_valid(demo):
    processes = Process.objects.order_by("key")
    assert [process.key for process in processes] == [
        "bin-emptying",
        "collection",
        "permit",
        "permit-parking",
        "pothole",
        "report",
        "report-parks",
        "report-traffic",
        "report-waste",
        "sensor-fault",
    ]
    for process in processes:
        assert validation.problems(demo_data.step_specs(process)) == [], process.key


@pytest.mark.parametrize(
    ("key", "steps"),
    [
        (
            "pothole",
            [
                ("received", ""),
                ("assessed", ""),
                ("scheduled", ""),
                ("repaired", "resolved"),
                ("rejected", "rejected"),
                ("duplicate", "duplicate"),
                ("referred", "referred"),
            ],
        ),
        ("permit", PERMIT_STEPS),
        ("permit-parking", PERMIT_STEPS),
        ("report", REPORT_STEPS),
        ("report-parks", REPORT_STEPS),
        (
            "collection",
            [
                ("received", ""),
                ("booked", ""),
                ("collected", "resolved"),
                ("rejected", "rejected"),
            ],
        ),
    ],
)
def test_demo_process_has_the_promised_steps_in_order(demo, key, steps):
    process = Process.objects.get(key=key)
    assert list(process.steps.values_list("key", "outcome")) == steps


def test_a_permit_goes_through_the_completeness_check_to_a_decision(demo):
    steps = dict(
        Process.objects.get(key="permit").steps.values_list("key", "next_steps")
    )
    assert steps["received"] == ["completeness-check", "referred"]
    assert steps["completeness-check"] == ["assessment", "referred"]
    assert steps["decision"] == ["granted", "refused", "assessment"]


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_every_step_has_a_team_and_texts_in_every_language(demo, language):
    steps = Step.objects.all()
    assert steps.count() == 60
    for step in steps:
        assert step.team_id is not None, (step.process.key, step.key)
        assert getattr(step, f"name_{language}"), (step.process.key, step.key)
        assert getattr(step, f"public_description_{language}"), (
            step.process.key,
            step.key,
        )


def test_every_service_follows_its_process(demo):
    assert {
        service.slug: service.process.key for service in Service.objects.all()
    } == PROCESS_OF_SERVICE


def test_fault_reports_stay_with_the_services_team(demo):
    for service in Service.objects.filter(process__key__startswith="report"):
        teams = dict(service.process.steps.values_list("key", "team__slug"))
        if service.slug == "damaged-road-sign":
            # Street maintenance puts up the new sign that traffic ordered.
            assert teams.pop("in-progress") == "street-maintenance"
        assert set(teams.values()) == {service.team.slug}, service.slug


def test_reopen_periods_and_deadlines(demo):
    assert dict(Service.objects.values_list("slug", "reopen_days")) == {
        "street-light-out": 30,
        "pothole": 30,
        "snow-and-ice": 7,
        "graffiti": 30,
        "fallen-tree": 30,
        "broken-playground-equipment": 30,
        "overfull-bin": 7,
        "littering": 7,
        "bulky-waste-collection": 14,
        "damaged-road-sign": 30,
        "disabled-parking-permit": 30,
        "outdoor-seating-permit": 30,
        "bin-emptying": 7,
        "sensor-fault": 7,
    }
    permits = Service.objects.filter(process__key__startswith="permit")
    assert set(permits.values_list("deadline_days", flat=True)) == {20}


def test_an_invalid_demo_process_stops_the_load(db, tmp_path):
    data = json.loads(demo_data.CATALOG_FILE.read_text(encoding="utf-8"))
    pothole = next(spec for spec in data["processes"] if spec["key"] == "pothole")
    pothole["steps"][2]["next_steps"] = []
    broken = tmp_path / "catalog.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="scheduled"):
        demo_data.load(broken)
    assert Process.objects.count() == 0
    assert Team.objects.count() == 0
    assert Service.objects.count() == 0


# Sample cases ------------------------------------------------------------------------


def test_sample_cases_by_status_and_outcome(demo):
    assert Counter(Case.objects.filter(**SAMPLE).values_list("status", flat=True)) == {
        Status.SUBMITTED: 7,
        Status.IN_PROGRESS: 18,
        Status.WAITING_FOR_CITIZEN: 1,
        Status.CLOSED: 6,
    }
    closed = Case.objects.filter(status=Status.CLOSED)
    assert Counter(closed.values_list("step__outcome", flat=True)) == {
        "resolved": 3,
        "rejected": 1,
        "duplicate": 1,
        "referred": 1,
    }


def test_sample_cases_cover_every_service(demo):
    assert Counter(
        Case.objects.filter(**SAMPLE).values_list("service__slug", flat=True)
    ) == {
        "street-light-out": 3,
        "snow-and-ice": 1,
        "graffiti": 3,
        "pothole": 6,
        "fallen-tree": 2,
        "broken-playground-equipment": 2,
        "overfull-bin": 2,
        "littering": 2,
        "damaged-road-sign": 2,
        "disabled-parking-permit": 3,
        "outdoor-seating-permit": 3,
        "bulky-waste-collection": 3,
    }


def test_one_sample_case_waits_for_the_citizens_answer(demo):
    case = Case.objects.get(status=Status.WAITING_FOR_CITIZEN)
    assert case.service.slug == "disabled-parking-permit"
    assert case.step.key == "completeness-check"
    assert case.on_hold_since is not None
    question = case.events.filter(kind=CaseEvent.Kind.INFO_REQUESTED).get()
    assert question.is_public
    assert "läkarintyg" in question.message


def test_one_sample_case_had_its_question_answered(demo):
    answer = CaseEvent.objects.get(kind=CaseEvent.Kind.INFO_RECEIVED)
    assert answer.case.service.slug == "outdoor-seating-permit"
    assert answer.case.status == Status.IN_PROGRESS
    assert answer.case.step.key == "assessment"
    assert answer.case.on_hold_since is None


def test_one_sample_deadline_was_extended_by_the_team_lead(demo):
    extension = CaseEvent.objects.get(kind=CaseEvent.Kind.EXTENDED)
    assert extension.actor.username == Role.TEAMLEAD
    assert extension.is_public
    assert extension.message.startswith("Den nya skylten måste tillverkas")
    assert extension.data["target"] == "case"
    assert extension.data["days"] == 10
    assert extension.case.service.slug == "damaged-road-sign"
    assert extension.case.due_at == datetime.fromisoformat(extension.data["to"])


def metres_between(first, second):
    north = (first.latitude - second.latitude) * 111_320
    east = (
        (first.longitude - second.longitude)
        * 111_320
        * math.cos(math.radians(first.latitude))
    )
    return math.hypot(north, east)


def test_one_sample_pothole_is_a_duplicate_of_a_nearby_open_one(demo):
    duplicate = Case.objects.get(duplicate_of__isnull=False)
    original = duplicate.duplicate_of
    assert duplicate.service.slug == original.service.slug == "pothole"
    assert duplicate.status == Status.CLOSED
    assert duplicate.step.key == "duplicate"
    assert original.status == Status.IN_PROGRESS
    assert original.step.key == "scheduled"
    assert metres_between(duplicate, original) < 25


def test_one_sample_pothole_was_referred_to_trafikverket(demo):
    referral = CaseEvent.objects.get(kind=CaseEvent.Kind.REFERRED)
    assert referral.data["organisation"] == "Trafikverket"
    assert referral.case.step.key == "referred"
    assert referral.case.status == Status.CLOSED


def test_some_sample_cases_are_assigned_to_the_caseworker(demo):
    assigned = Case.objects.filter(assignee__isnull=False)
    assert set(assigned.values_list("assignee__username", flat=True)) == {
        Role.CASEWORKER
    }
    assert assigned.count() == 4


def test_some_sample_citizens_gave_an_example_address(demo):
    emails = Case.objects.exclude(contact_email="").values_list(
        "contact_email", flat=True
    )
    assert len(emails) == 7
    assert all(email.endswith("@example.se") for email in emails)


def test_sample_places_lie_inside_the_municipality(demo):
    located = Case.objects.filter(latitude__isnull=False)
    assert located.filter(**SAMPLE).count() == 29
    for case in located:
        assert municipality.contains(case.latitude, case.longitude), case.reference
    assert not Case.objects.filter(
        latitude__isnull=True, service__location=Service.Location.REQUIRED
    ).exists()


def test_sample_answers_fit_the_questions(demo):
    for case in Case.objects.select_related("service"):
        questions = {q.key: q for q in case.service.questions.all()}
        assert set(case.answers) <= set(questions), case.reference
        for key, question in questions.items():
            if question.required:
                assert key in case.answers, (case.reference, key)
            if question.kind == Question.Kind.CHOICE and key in case.answers:
                values = set(question.choices.values_list("value", flat=True))
                assert case.answers[key] in values, (case.reference, key)


def test_sample_cases_are_the_same_on_every_load(demo):
    first = list(
        Case.objects.filter(**SAMPLE)
        .order_by("reference")
        .values_list("service__slug", "step__key", "status", "latitude", "longitude")
    )
    # Decisions are kept even when a case goes (PROTECT): remove them first.
    Decision.objects.all().delete()
    Case.objects.all().delete()
    made = demo_data.sample_cases(
        list(Service.objects.order_by("position")), list(User.objects.order_by("pk"))
    )
    assert len(made) == 32
    again = list(
        Case.objects.order_by("reference").values_list(
            "service__slug", "step__key", "status", "latitude", "longitude"
        )
    )
    assert again == first


def test_demo_services_decide_recommend_and_refer_by_their_tables(demo):
    decisions = Decision.objects.order_by("pk").values_list(
        "case__service__slug", "kind", "outcome", "reasons", "case__step__key"
    )
    assert list(decisions) == [
        (
            "disabled-parking-permit",
            "recommendation",
            "refer",
            ["certificate-attached", "short-walking-distance"],
            "decision",
        ),
        (
            "outdoor-seating-permit",
            "recommendation",
            "refer",
            ["winter-clearing"],
            "decision",
        ),
        ("bulky-waste-collection", "decision", "approve", ["within-limit"], "booked"),
        ("bulky-waste-collection", "referral", "refer", ["large-load"], "received"),
        (
            "bulky-waste-collection",
            "decision",
            "approve",
            ["within-limit"],
            "collected",
        ),
    ]
