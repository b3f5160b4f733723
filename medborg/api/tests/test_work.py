import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.api.models import Scope
from medborg.api.tests.conftest import auth, submit
from medborg.cases import services
from medborg.cases.models import CaseEvent


@pytest.fixture
def case(service):
    return submit(service)


def url(case, action=""):
    return f"/api/v1/work/cases/{case.reference}/" + (f"{action}/" if action else "")


def state(api, key, case):
    return api.get(url(case), **auth(key)).json()["state"]


def test_work_list_shows_the_teams_open_cases(api, case, service, work_key):
    other = submit(service)
    services.move_case_to_step(
        case=other, step=other.process.steps.get(key="closed"), by=None
    )
    body = api.get("/api/v1/work/cases/", **auth(work_key)).json()
    assert [item["reference"] for item in body["results"]] == [case.reference]
    closed = api.get("/api/v1/work/cases/?closed=true", **auth(work_key)).json()
    assert closed["count"] == 2
    assert (
        api.get("/api/v1/work/cases/?service=x", **auth(work_key)).json()["count"] == 0
    )


def test_work_detail_shows_answers_contact_and_every_event(
    api, case, work_key, caseworker
):
    services.add_note(case=case, text="Internal remark", by=caseworker)
    body = api.get(url(case), **auth(work_key)).json()
    assert body["contact_email"] == "anna@example.se"
    assert body["answers"] == {"size": "large", "danger": True}
    assert [e["kind"] for e in body["events"]] == ["case.submitted", "case.note"]
    assert [s["key"] for s in body["allowed_steps"]] == ["in-progress", "closed"]


def test_move_calls_the_workflow_and_returns_the_case(api, case, work_key):
    response = api.post(
        url(case, "move"),
        {
            "step": "in-progress",
            "state": state(api, work_key, case),
            "public_message": "On it",
        },
        format="json",
        **auth(work_key),
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["step"]["key"]) == (
        "in_progress",
        "in-progress",
    )
    event = CaseEvent.objects.get(kind="case.moved")
    assert (event.message, event.actor.username) == ("On it", "cw")


def test_move_with_a_stale_state_is_409(api, case, work_key):
    old = state(api, work_key, case)
    services.move_case_to_step(
        case=case, step=case.process.steps.get(key="in-progress"), by=None
    )
    before = CaseEvent.objects.count()
    response = api.post(
        url(case, "move"),
        {"step": "closed", "state": old},
        format="json",
        **auth(work_key),
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stale_case"
    assert CaseEvent.objects.count() == before


def test_move_to_a_step_not_allowed_is_400(api, case, work_key):
    response = api.post(
        url(case, "move"),
        {"step": "received", "state": state(api, work_key, case)},
        format="json",
        **auth(work_key),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "step_not_allowed"
    assert CaseEvent.objects.count() == 1


def test_move_without_state_is_400(api, case, work_key):
    response = api.post(
        url(case, "move"), {"step": "closed"}, format="json", **auth(work_key)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "state",
            "code": "required",
            "message": response.json()["errors"][0]["message"],
        }
    ]


def test_note_is_internal(api, case, work_key):
    response = api.post(
        url(case, "note"), {"text": "Call Bo"}, format="json", **auth(work_key)
    )
    assert response.status_code == 200
    event = CaseEvent.objects.get(kind="case.note")
    assert (event.message, event.is_public) == ("Call Bo", False)
    assert (
        api.post(
            url(case, "note"), {"text": ""}, format="json", **auth(work_key)
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("role", "choice", "expected"),
    [
        ("caseworker", "me", 200),
        ("caseworker", "nobody", 200),
        ("caseworker", "colleague", 403),
        ("teamlead", "colleague", 200),
        ("teamlead", "stranger", 400),
    ],
)
def test_assign_follows_the_web_rules(
    api, case, team, make_key, role, choice, expected
):
    user = UserFactory(username="actor", role=role, teams=[team])
    UserFactory(username="colleague", role="caseworker", teams=[team])
    UserFactory(username="stranger", role="caseworker", teams=[TeamFactory()])
    key = make_key(Scope.CASES_WORK, user=user)
    response = api.post(
        url(case, "assign"), {"assignee": choice}, format="json", **auth(key)
    )
    assert response.status_code == expected
    assigned = CaseEvent.objects.filter(kind="case.assigned").count()
    assert assigned == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("none", 401),
        ("create_read", 403),
        ("no_role", 403),
        ("other_team", 404),
        ("role", 200),
    ],
)
@pytest.mark.parametrize("action", ["", "note"])
def test_work_endpoints_by_key_and_role(
    api, case, make_key, team, who, expected, action
):
    users = {
        "no_role": UserFactory(teams=[team]),
        "other_team": UserFactory(role="caseworker", teams=[TeamFactory()]),
        "role": UserFactory(role="caseworker", teams=[team]),
    }
    headers = {}
    if who == "create_read":
        headers = auth(make_key(Scope.CASES_CREATE, Scope.CASES_READ))
    elif who in users:
        headers = auth(make_key(Scope.CASES_WORK, user=users[who]))
    if action:
        response = api.post(url(case, action), {"text": "x"}, format="json", **headers)
    else:
        response = api.get(url(case), **headers)
    assert response.status_code == expected
    assert CaseEvent.objects.filter(kind="case.note").count() == (
        1 if action and expected == 200 else 0
    )


def test_work_list_needs_a_role(api, case, make_key, team):
    key = make_key(Scope.CASES_WORK, user=UserFactory(teams=[team]))
    assert api.get("/api/v1/work/cases/", **auth(key)).status_code == 403


def test_actions_refuse_get_with_405(api, case, work_key):
    assert api.get(url(case, "move"), **auth(work_key)).status_code == 405


def test_work_list_costs_the_same_queries_for_more_cases(
    api, case, service, work_key, django_assert_num_queries
):
    for _ in range(4):
        submit(service)
    api.get("/api/v1/work/cases/", **auth(work_key))
    # key, role (checked by the view and again by team_ids), teams, count, page
    with django_assert_num_queries(6):
        assert api.get("/api/v1/work/cases/", **auth(work_key)).json()["count"] == 5
