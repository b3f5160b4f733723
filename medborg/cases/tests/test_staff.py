from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases import services
from medborg.cases.models import Case, CaseEvent


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


def _state(case):
    case.refresh_from_db()
    return services.state_of(case)


def test_assign_move_and_note_write_events(client, case, caseworker):
    login(client, caseworker)
    base = {"reference": case.reference}
    client.post(reverse("staff:assign", kwargs=base), {"assign": "me"})
    step = case.process.steps.get(key="in-progress")
    response = client.post(
        reverse("staff:move", kwargs=base),
        {
            "move-state": _state(case),
            "move-step": step.pk,
            "move-public_message": "Booked for Tuesday.",
        },
    )
    assert response.status_code == 302
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
    ("action", "request_data", "form", "field"),
    [
        ("move", {"move-step": "999999"}, "move_form", "step"),
        ("move", {}, "move_form", "step"),
        ("note", {"text": ""}, "note_form", "text"),
        ("assign", {"assign": "someone-else"}, "assign_form", "assign"),
        ("request_information", {"info-question": ""}, "info_form", "question"),
        ("duplicate", {"duplicate-original": "KOM-1"}, "duplicate_form", "original"),
        ("refer", {"refer-public_message": "x"}, "refer_form", "__all__"),
    ],
)
def test_bad_actions_are_400_and_change_nothing(
    client, case, caseworker, action, request_data, form, field
):
    login(client, caseworker)
    before = CaseEvent.objects.count()
    state = _state(case)
    data = {
        f"{prefix}-state": state for prefix in ("move", "info", "duplicate", "refer")
    }
    data.update(request_data)
    response = client.post(
        reverse(f"staff:{action}", kwargs={"reference": case.reference}), data
    )
    assert response.status_code == 400
    assert CaseEvent.objects.count() == before
    assert response.context[form].errors[field]


def test_a_move_on_a_case_that_changed_is_refused_with_409(client, case, caseworker):
    login(client, caseworker)
    seen = _state(case)
    url = reverse("staff:move", kwargs={"reference": case.reference})
    step = case.process.steps.get(key="in-progress")
    first = client.post(url, {"move-state": seen, "move-step": step.pk})
    assert first.status_code == 302
    before = CaseEvent.objects.count()
    closed = case.process.steps.get(key="closed")
    # A colleague's form, loaded before the first move, arrives second.
    second = client.post(url, {"move-state": seen, "move-step": closed.pk})
    assert second.status_code == 409
    assert "changed while you were looking" in second.content.decode()
    assert CaseEvent.objects.count() == before
    case.refresh_from_db()
    assert case.step == step


def test_moving_a_closed_case_is_refused(client, case, caseworker):
    login(client, caseworker)
    url = reverse("staff:move", kwargs={"reference": case.reference})
    closed = case.process.steps.get(key="closed")
    client.post(url, {"move-state": _state(case), "move-step": closed.pk})
    before = CaseEvent.objects.count()
    step = case.process.steps.get(key="in-progress")
    response = client.post(url, {"move-state": _state(case), "move-step": step.pk})
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


def test_contact_is_shown_only_with_the_permission(client, case, caseworker):
    from django.contrib.auth.models import Group, Permission

    url = reverse("staff:case", kwargs={"reference": case.reference})
    assert "anna@example.se" in login(client, caseworker).get(url).content.decode()
    Group.objects.get(name="caseworker").permissions.remove(
        Permission.objects.get(codename="view_contact")
    )
    caseworker = type(caseworker).objects.get(pk=caseworker.pk)
    assert "anna@example.se" not in login(client, caseworker).get(url).content.decode()


def test_nearby_duplicates_are_offered_and_merged_in_one_action(
    client, case, caseworker
):
    near = services.submit_case(
        service=case.service,
        answers={"size": "small"},
        latitude=case.latitude + 0.0002,  # about 22 m north
        longitude=case.longitude,
    ).case
    services.submit_case(
        service=case.service,
        answers={"size": "small"},
        latitude=case.latitude + 0.01,  # about 1.1 km away
        longitude=case.longitude,
    )
    login(client, caseworker)
    page = client.get(reverse("staff:case", kwargs={"reference": near.reference}))
    assert [(c.reference, m) for c, m in page.context["candidates"]] == [
        (case.reference, 22)
    ]
    response = client.post(
        reverse("staff:duplicate", kwargs={"reference": near.reference}),
        {"duplicate-state": _state(near), "duplicate-original": case.reference},
    )
    assert response.status_code == 302
    near.refresh_from_db()
    assert (near.duplicate_of, near.status) == (case, "closed")


def _inbox(client, **params):
    return client.get(reverse("staff:inbox"), params)


def _references(response):
    return [case.reference for case in response.context["page"].object_list]


@pytest.fixture
def spread(service, caseworker):
    """Three open cases with due dates in the past, soon and later, one closed."""
    now = timezone.now()
    made = []
    for days, address in (
        (-3, "Storgatan 1"),
        (1, "Kungsgatan 2"),
        (30, "Linnégatan 3"),
    ):
        case = services.submit_case(
            service=service, answers={"size": "small"}, address=address
        ).case
        Case.objects.filter(pk=case.pk).update(next_due_at=now + timedelta(days=days))
        made.append(case)
    closed = services.submit_case(service=service, answers={"size": "small"}).case
    services.move_case_to_step(
        case=closed, step=closed.process.steps.get(key="closed"), by=caseworker
    )
    return made


def test_inbox_sorts_by_due_date_and_counts_overdue_and_due_soon(
    client, spread, caseworker
):
    response = _inbox(login(client, caseworker))
    assert _references(response) == [case.reference for case in spread]
    assert response.context["counts"] == {"overdue": 1, "due_soon": 1}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"due": "overdue"}, [0]),
        ({"due": "soon"}, [1]),
        ({"due": "within", "within_days": "10"}, [0, 1]),
        ({"q": "kungsgatan"}, [1]),
        ({"q": "KOM-"}, [0, 1, 2]),
        ({"assignee": "nobody"}, [0, 1, 2]),
        ({"assignee": "me"}, []),
        ({"step": "received"}, [0, 1, 2]),
        ({"step": "in-progress"}, []),
        ({"sort": "newest"}, [2, 1, 0]),
    ],
)
def test_inbox_filters(client, spread, caseworker, params, expected):
    response = _inbox(login(client, caseworker), **params)
    assert response.status_code == 200
    assert _references(response) == [spread[i].reference for i in expected]


def test_inbox_includes_closed_cases_on_request(client, spread, caseworker):
    response = _inbox(login(client, caseworker), closed="on")
    assert len(_references(response)) == 4


def test_inbox_refuses_bad_filters_with_400(client, spread, caseworker):
    response = _inbox(login(client, caseworker), due="within", within_days="-1")
    assert response.status_code == 400
    assert response.context["form"].errors["within_days"]


def test_inbox_map_shows_the_same_selection(client, service, caseworker):
    located = services.submit_case(
        service=service, answers={"size": "small"}, latitude=56.88, longitude=14.81
    ).case
    services.submit_case(service=service, answers={"size": "small"})
    response = _inbox(login(client, caseworker), view="map")
    assert [point["reference"] for point in response.context["points"]] == [
        located.reference
    ]
    assert 'id="inbox-points"' in response.content.decode()


def _make_cases(service, count):
    for _ in range(count):
        services.submit_case(
            service=service, answers={"size": "small"}, latitude=56.88, longitude=14.81
        )


@pytest.mark.parametrize("view", ["list", "map"])
def test_inbox_queries_do_not_grow_with_the_cases(
    client, service, caseworker, view, django_assert_num_queries
):
    login(client, caseworker)
    _make_cases(service, 3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        _inbox(client, view=view)
    _make_cases(service, 30)
    with django_assert_num_queries(len(few)):
        response = _inbox(client, view=view)
    assert response.context["page"].paginator.count == 33


def test_case_page_queries_do_not_grow_with_the_events(
    client, case, caseworker, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, caseworker)
    url = reverse("staff:case", kwargs={"reference": case.reference})
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(20):
        services.add_note(case=case, text=f"Note {number}", by=caseworker)
    with django_assert_num_queries(len(few)):
        client.get(url)
