from django.urls import reverse

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases import services
from medborg.cases.models import CaseEvent


@pytest.fixture
def case(service):
    return services.submit_case(
        service=service,
        answers={"size": "large", "danger": True},
        latitude=56.88,
        longitude=14.81,
        contact_email="anna@example.se",
    ).case


def login(client, user):
    client.force_login(user, backend="medborg.accounts.backends.StaffBackend")
    return client


@pytest.mark.parametrize(
    "who", ["anonymous", "citizen", "no_role", "other_team", "role"]
)
@pytest.mark.parametrize("page", ["inbox", "case"])
def test_staff_pages_by_role(client, case, team, who, page):
    url = (
        reverse("staff:inbox")
        if page == "inbox"
        else reverse("staff:case", kwargs={"reference": case.reference})
    )
    if who == "citizen":
        # a citizen's token opens the tracking page, never the workspace
        own = services.submit_case(service=case.service, answers={})
        assert client.get(f"/track/{own.token}/").status_code == 200
    elif who == "no_role":
        login(client, UserFactory(teams=[team]))
    elif who == "other_team":
        login(client, UserFactory(role="caseworker", teams=[TeamFactory()]))
    elif who == "role":
        login(client, UserFactory(role="caseworker", teams=[team]))
    response = client.get(url)
    expected = {
        "anonymous": 302,
        "citizen": 302,
        "no_role": 403,
        "other_team": 404 if page == "case" else 200,
        "role": 200,
    }[who]
    assert response.status_code == expected
    html = response.content.decode()
    if who == "other_team" and page == "inbox":
        assert case.reference not in html
    if who == "role":
        assert case.reference in html
    if who in {"anonymous", "citizen"}:
        assert response["Location"].startswith(reverse("staff:login"))


def test_case_page_shows_answers_contact_and_history(client, case, caseworker):
    services.add_note(case=case, text="Internal remark", by=caseworker)
    html = (
        login(client, caseworker)
        .get(reverse("staff:case", kwargs={"reference": case.reference}))
        .content.decode()
    )
    for text in ("Large", "Yes", "anna@example.se", "Internal remark", "internal"):
        assert text in html


def test_assign_move_and_note_write_events(client, case, caseworker):
    login(client, caseworker)
    base = {"reference": case.reference}
    client.post(reverse("staff:assign", kwargs=base), {"assign": "me"})
    step = case.process.steps.get(key="in-progress")
    client.post(
        reverse("staff:move", kwargs=base),
        {"step": step.pk, "public_message": "Booked for Tuesday."},
    )
    client.post(reverse("staff:note", kwargs=base), {"text": "Crew 3."})
    case.refresh_from_db()
    assert case.assignee == caseworker
    assert case.step == step
    kinds = list(case.events.values_list("kind", "is_public", "actor__username"))
    assert kinds == [
        ("case.submitted", True, None),
        ("case.assigned", False, "cw"),
        ("case.moved", True, "cw"),
        ("case.note", False, "cw"),
    ]


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("move", {"step": "999999"}, "step"),
        ("move", {}, "step"),
        ("note", {"text": ""}, "text"),
        ("assign", {"assign": "someone-else"}, None),
    ],
)
def test_bad_actions_are_400_and_change_nothing(
    client, case, caseworker, action, data, field
):
    login(client, caseworker)
    before = CaseEvent.objects.count()
    response = client.post(
        reverse(f"staff:{action}", kwargs={"reference": case.reference}), data
    )
    assert response.status_code == 400
    assert CaseEvent.objects.count() == before
    if field:
        form = response.context["move_form" if action == "move" else "note_form"]
        assert form.errors[field]


def test_moving_a_closed_case_is_refused(client, case, caseworker):
    login(client, caseworker)
    closed = case.process.steps.get(key="closed")
    url = reverse("staff:move", kwargs={"reference": case.reference})
    client.post(url, {"step": closed.pk})
    before = CaseEvent.objects.count()
    step = case.process.steps.get(key="in-progress")
    response = client.post(url, {"step": step.pk})
    assert response.status_code == 400
    assert CaseEvent.objects.count() == before


def test_actions_need_a_role_on_the_team(client, case):
    outsider = UserFactory(role="caseworker", teams=[TeamFactory()])
    login(client, outsider)
    response = client.post(
        reverse("staff:note", kwargs={"reference": case.reference}), {"text": "x"}
    )
    assert response.status_code == 404
    assert case.events.count() == 1


def test_inbox_lists_newest_first_in_bounded_queries(
    client, service, caseworker, django_assert_max_num_queries
):
    for _ in range(5):
        services.submit_case(service=service, answers={})
    login(client, caseworker)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("staff:inbox"))
    references = [c.reference for c in response.context["cases"]]
    assert references == sorted(references, reverse=True)
    assert len(references) == 5
